"""For every test process: a function loaded by tests.support.load_function acts with its own role from
template.yaml, and a call that role does not allow fails with AccessDenied, as on AWS (local.iam). The
hooks go in here, before any boto3 session exists; outside a function's call they do nothing. And the
fixtures tests of every kind share."""

from collections.abc import Iterator

import pytest

from local import iam
from tests.vendor_stub import VendorStub, serve_vendor

iam.install()


@pytest.fixture
def vendor() -> Iterator[VendorStub]:
    """A vendor API on 127.0.0.1 (tests/vendor_stub.py): set its routes, read the requests it saw."""
    with serve_vendor() as stub:
        yield stub
