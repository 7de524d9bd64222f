from tests.s3.conftest import aws_env, moto  # noqa: F401  (the S3 fuzz tests pull from a real S3 API)
