"""A re-export that fails part-way never leaves a day twice at the destination.

The destination here is a moto server enforcing IAM: the first export runs with full permissions, the
re-export with a key that may write and list but not delete (what a production bucket policy refused).
"""

from __future__ import annotations

import contextlib
import json
from datetime import date

import duckdb
import pytest

from governance_pipeline.export.errors import DestinationError
from governance_pipeline.export.run import export_day
from governance_pipeline.sources_file import parse_sources
from tests.export.helpers import make_bucket, sources_yaml
from tests.support.moto import moto_server

BUCKET = "gov-reexport"
POLICIES = {  # user -> allowed S3 actions
    "writer": ["s3:PutObject", "s3:ListBucket", "s3:DeleteObject", "s3:GetObject"],
    "nodelete": ["s3:PutObject", "s3:ListBucket", "s3:GetObject"],
}
DAY = date(2026, 10, 1)


@pytest.fixture(scope="module")
def iam_endpoint():
    """A moto server that enforces IAM after the set-up calls below (users, keys, policies, bucket)."""
    with contextlib.ExitStack() as stack:
        with pytest.MonkeyPatch.context() as mp:  # only the server process sees it, not later tests
            mp.setenv("INITIAL_NO_AUTH_ACTION_COUNT", str(3 * len(POLICIES) + 1))
            url = stack.enter_context(moto_server())
        import boto3

        iam = boto3.client(
            "iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        users = {}
        for user, actions in POLICIES.items():
            iam.create_user(UserName=user)
            users[user] = iam.create_access_key(UserName=user)["AccessKey"]
            policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
            iam.put_user_policy(UserName=user, PolicyName="export", PolicyDocument=json.dumps(policy))
        make_bucket(url, BUCKET)
        yield url, users


def _setup(root, url, users, prefix: str, **extra):
    creds = {
        user: {"accessKeyId": k["AccessKeyId"], "secretAccessKey": k["SecretAccessKey"]} for user, k in users.items()
    }
    entry = {"id": "dest", "bucket": BUCKET, "prefix": prefix, "endpointUrl": url, "credentialRef": "writer", **extra}
    sf = parse_sources(sources_yaml(root / "inbox", [entry], credentials=creds))
    return sf, sf.destinations[0]


def _rows(url, users, prefix, tmp_path) -> list[tuple]:
    import boto3
    from botocore.config import Config

    w = users["writer"]
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=w["AccessKeyId"],
        aws_secret_access_key=w["SecretAccessKey"],
        config=Config(s3={"addressing_style": "path"}),
    )
    folder = tmp_path / prefix
    for key in _keys(client, prefix):
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(BUCKET, key, str(path))
    return duckdb.sql(
        f"SELECT source_id, count(*), count(DISTINCT source_event_id) "
        f"FROM read_parquet('{folder}/**/*.parquet', hive_partitioning=true) GROUP BY ALL ORDER BY ALL"
    ).fetchall()


def _keys(client, prefix: str) -> list[str]:
    out = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        out.extend(o["Key"] for o in page.get("Contents", ()))
    return sorted(out)


def test_a_refused_delete_leaves_the_new_day_once(iam_endpoint, lake_and_db, tmp_path):
    url, users = iam_endpoint
    root, lake, db = lake_and_db
    sf, dest = _setup(root, url, users, "refused", maxRowsPerFile=4)
    first = export_day(dest, DAY, credentials=sf.credentials, lake_root=lake, duckdb_path=db)
    assert (first.rows, first.files) == (14, 4)  # 6 acme rows and 8 spans, in objects of at most 4 rows
    expected = [("acme_ndjson", 6, 6), ("otel_app", 8, 8)]
    assert _rows(url, users, "refused", tmp_path / "a") == expected

    # re-export in bigger objects with a key that may not delete: the old objects cannot be removed
    again = dest.model_copy(update={"credentialRef": "nodelete", "maxRowsPerFile": 100})
    with pytest.raises(DestinationError, match=r"may not delete from .* 2 stale object.* emptied but not deleted"):
        export_day(again, DAY, credentials=sf.credentials, lake_root=lake, duckdb_path=db)
    assert _rows(url, users, "refused", tmp_path / "b") == expected  # each event once, not old + new

    # with the permission back, the re-export completes and leaves only the new objects
    done = export_day(
        dest.model_copy(update={"maxRowsPerFile": 100}), DAY, credentials=sf.credentials, lake_root=lake, duckdb_path=db
    )
    assert (done.rows, done.files) == (14, 2)
    assert _rows(url, users, "refused", tmp_path / "c") == expected


def test_a_refused_delete_of_a_security_lake_day_leaves_it_once(iam_endpoint, lake_and_db, tmp_path):
    url, users = iam_endpoint
    root, lake, db = lake_and_db
    extra = {"format": "security_lake", "accountId": "123456789012", "sourceName": "govpipe", "region": "us-east-1"}
    sf, dest = _setup(root, url, users, "sl", maxRowsPerFile=5, **extra)
    export_day(dest, DAY, credentials=sf.credentials, lake_root=lake, duckdb_path=db)
    again = dest.model_copy(update={"credentialRef": "nodelete", "maxRowsPerFile": 100})
    with pytest.raises(DestinationError):
        export_day(again, DAY, credentials=sf.credentials, lake_root=lake, duckdb_path=db)
    folder = tmp_path / "sl"
    download_rows = _sl_rows(url, users, folder)
    assert download_rows == (14, 14)


def _sl_rows(url, users, folder) -> tuple[int, int]:
    import boto3
    from botocore.config import Config

    w = users["writer"]
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=w["AccessKeyId"],
        aws_secret_access_key=w["SecretAccessKey"],
        config=Config(s3={"addressing_style": "path"}),
    )
    for key in _keys(client, "sl/"):
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(BUCKET, key, str(path))
    return duckdb.sql(
        # OCSF 1.3.0 (security_lake's default) has no metadata.original_event_uid: the down-level keeps it in unmapped
        f"SELECT count(*), count(DISTINCT unmapped.original_event_uid) FROM read_parquet('{folder}/**/*.parquet')"
    ).fetchall()[0]


class _FailingPut:
    """The destination's real boto3 client, except that the ``fail_at``-th upload raises (a dropped connection)."""

    def __init__(self, client, fail_at: int):
        self._client, self._fail_at, self.puts = client, fail_at, 0

    def upload_fileobj(self, *args, **kwargs):
        self.puts += 1
        if self.puts == self._fail_at:
            raise ConnectionError("connection reset by peer (injected)")
        return self._client.upload_fileobj(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_a_re_export_failing_between_two_puts_shows_each_source_old_or_new(iam_endpoint, lake_and_db, tmp_path):
    """Two sources on the day, one object each: the failure after the first source's PUT leaves that source
    new and the other old, never a source's rows twice."""
    from governance_pipeline.export.s3 import s3_client
    from tests.marts.lakes import ndjson_records, pull_ndjson, span_rows, write_rows

    url, users = iam_endpoint
    root, lake, db = lake_and_db
    sf, dest = _setup(root, url, users, "puts")
    export_day(dest, DAY, credentials=sf.credentials, lake_root=lake, duckdb_path=db)
    grown = str(tmp_path / "grown_lake")  # the day has one more acme event since
    pull_ndjson(grown, tmp_path / "inbox2", ndjson_records(days=1, per_day=7))
    write_rows(grown, span_rows(8))
    client = _FailingPut(s3_client(dest, sf.credentials), fail_at=2)
    with pytest.raises(ConnectionError):
        export_day(dest, DAY, credentials=sf.credentials, lake_root=grown, duckdb_path=db, client=client)
    assert _rows(url, users, "puts", tmp_path / "got") == [("acme_ndjson", 7, 7), ("otel_app", 8, 8)]
