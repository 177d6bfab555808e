"""For every test process: a function loaded by tests.support.load_function acts with its own role from
template.yaml, and a call that role does not allow fails with AccessDenied, as on AWS (local.iam). The
hooks go in here, before any boto3 session exists; outside a function's call they do nothing."""

from local import iam

iam.install()
