"""The delivery rows' sending lease, against the template: a live send is never taken for a dead one."""

from __future__ import annotations

from datetime import timedelta

from recovery.store.alerting import SENDING_LEASE
from tests.support import template


def test_the_sending_lease_outlasts_every_function_that_sends() -> None:
    # GIVEN every function's timeout (its own, else the Globals')
    stack = template()
    default = stack["Globals"]["Function"]["Timeout"]
    timeouts = [
        int(resource["Properties"].get("Timeout", default))
        for resource in stack["Resources"].values()
        if resource.get("Type") == "AWS::Serverless::Function"
    ]
    # THEN a row still `sending` after the lease belongs to an invocation that has surely ended
    assert len(timeouts) > 10 and timedelta(seconds=max(timeouts)) < SENDING_LEASE
