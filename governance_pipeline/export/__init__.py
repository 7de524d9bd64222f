"""Bulk export of governance events and OCSF to S3-compatible destinations (no Dagster imports here).

``config`` parses the sources file's ``destinations:``; ``s3`` makes the boto3 client; ``layout`` names the
objects; ``readers`` yield one day's rows as Arrow; ``writer`` replaces one day's objects; ``check`` tests a
destination; ``errors`` turns boto3/botocore failures into plain words.
"""
