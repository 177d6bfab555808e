"""template.yaml keeps the promises the design makes about the deployed stack."""

from __future__ import annotations

import json
import re
import tomllib
from typing import Any

from tests.support import ROOT, template

RESOURCES: dict[str, Any] = template()["Resources"]


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in RESOURCES.items() if r["Type"] == kind}


def test_globals_pin_the_powertools_release_of_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pinned = next(d for d in pyproject["project"]["dependencies"] if d.startswith("aws-lambda-powertools"))
    version = pinned.split("==")[1]
    function = template()["Globals"]["Function"]
    assert (function["Runtime"], function["Architectures"]) == ("python3.12", ["arm64"])
    layers = [layer for layer in function["Layers"] if isinstance(layer, str)]
    assert layers == [f"{{{{resolve:ssm:/aws/service/powertools/python/arm64/python3.12/{version}}}}}"]
    assert function["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]


def test_layer_ships_what_the_runtime_lacks_at_the_pinned_versions() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = dict(d.split("==") for d in pyproject["project"]["dependencies"])
    shipped = dict(
        line.split("==")
        for line in (ROOT / "layers/recovery/requirements.txt").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert shipped and all(pins[name] == version for name, version in shipped.items())
    assert "boto3" not in shipped and not any(name.startswith("aws-lambda-powertools") for name in shipped)
    # The runtime's botocore, not one of our own ahead of it; time zones without the OS database.
    assert "botocore" not in shipped and "tzdata" in shipped


def test_table_is_protected_and_streams() -> None:
    table = RESOURCES["Table"]
    properties = table["Properties"]
    assert table["DeletionPolicy"] == "Retain"
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert {index["IndexName"] for index in properties["GlobalSecondaryIndexes"]} == {
        "by_customer",
        "due",
        "queue",
        "history",
    }


def test_every_function_has_its_own_log_group_with_retention() -> None:
    groups = of_type("AWS::Logs::LogGroup")
    for name, function in of_type("AWS::Serverless::Function").items():
        reference = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert reference in groups, name
        assert "RetentionInDays" in groups[reference]["Properties"]


def test_stream_trigger_has_a_failure_destination_with_an_alarm() -> None:
    stream = RESOURCES["StreamFunction"]["Properties"]["Events"]["TableStream"]["Properties"]
    destination = stream["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    alarmed = {
        d["Value"]["Fn::GetAtt"][0]
        for alarm in of_type("AWS::CloudWatch::Alarm").values()
        for d in alarm["Properties"].get("Dimensions", [])
        if isinstance(d["Value"], dict) and "Fn::GetAtt" in d["Value"]
    }
    assert destination in alarmed


def test_stream_trigger_isolates_a_failing_record_and_fails_over_while_the_stream_holds_it() -> None:
    function = RESOURCES["StreamFunction"]["Properties"]
    stream = function["Events"]["TableStream"]["Properties"]
    # a failing batch is halved, the function names the record to resume from, and a record older than
    # the maximum age goes to the DLQ while the stream (24 hours) still holds it for a replay
    assert stream["BisectBatchOnFunctionError"] is True
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert 0 < stream["MaximumRecordAgeInSeconds"] <= 12 * 3600
    assert stream["MaximumRetryAttempts"] >= 1
    # and the function parks a record it can't read in the same DLQ, which it may send to
    destination = stream["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    assert function["Environment"]["Variables"]["STREAM_DLQ_URL"] == {"Ref": destination}
    assert {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": [destination, "QueueName"]}}} in function[
        "Policies"
    ]


def test_alarms_cover_errors_5xx_and_notify_ops() -> None:
    alarms = of_type("AWS::CloudWatch::Alarm").values()
    metrics = {(a["Properties"]["Namespace"], a["Properties"]["MetricName"]) for a in alarms}
    assert {
        ("AWS/Lambda", "Errors"),
        ("AWS/ApiGateway", "5xx"),
        ("RecoveryLoop", "TransientAwsFailure"),
    } <= metrics
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "OpsTopic"}] for a in alarms)
    errors = {
        a["Properties"]["Dimensions"][0]["Value"]["Ref"]
        for a in alarms
        if a["Properties"]["MetricName"] == "Errors"
    }
    assert errors == set(of_type("AWS::Serverless::Function"))


def test_policies_are_least_privilege() -> None:
    for name, function in of_type("AWS::Serverless::Function").items():
        for policy in function["Properties"]["Policies"]:
            assert isinstance(policy, dict), f"{name}: managed policy names are too broad"
            for statement in policy.get("Statement", []):
                actions = statement["Action"]
                assert all(not a.endswith("*") for a in actions), name
                assert "dynamodb:Scan" not in actions, name


def test_no_local_only_routes_in_the_template() -> None:
    assert not re.search(r"/_local", (ROOT / "template.yaml").read_text())


def test_parameters_are_the_ones_ops_set_and_samconfig_uses_only_those() -> None:
    parameters = template()["Parameters"]
    assert {"Environment", "LogLevel", "RetentionDays", "SenderEmail", "SenderDomain", "AlarmEmail"} <= set(
        parameters
    )
    assert parameters["CustomDomain"]["Default"] == "" and parameters["CertificateArn"]["Default"] == ""
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for environment in ("dev", "prod"):
        overrides = config[environment]["deploy"]["parameters"]["parameter_overrides"].split()
        names = {override.split("=", 1)[0] for override in overrides}
        assert names <= set(parameters), environment
        assert {"SenderEmail", "SenderDomain", "AlarmEmail", "RetentionDays"} <= names, environment


def test_ingest_deploys_by_canary_that_its_error_and_latency_alarms_roll_back() -> None:
    ingest = RESOURCES["IngestFunction"]["Properties"]
    assert ingest["AutoPublishAlias"] == "live"
    preference = ingest["DeploymentPreference"]
    assert preference["Type"] == "Canary10Percent5Minutes"
    assert preference["Alarms"] == [{"Ref": "IngestErrorsAlarm"}, {"Ref": "IngestLatencyAlarm"}]
    latency = RESOURCES["IngestLatencyAlarm"]["Properties"]
    assert (latency["MetricName"], latency["ExtendedStatistic"]) == ("Duration", "p99")
    dimensions = {d["Name"]: d["Value"] for d in latency["Dimensions"]}
    assert dimensions["Resource"] == {"Fn::Sub": "${IngestFunction}:live"}


def test_custom_domain_is_optional_and_the_webhook_base_url_is_an_output_either_way() -> None:
    conditions = template()["Conditions"]
    assert "HasCustomDomain" in conditions
    for name in ("ApiDomain", "ApiDomainMapping"):
        assert RESOURCES[name]["Condition"] == "HasCustomDomain", name
    assert RESOURCES["ApiDomainMapping"]["Properties"]["ApiId"] == {"Ref": "HttpApi"}
    base_url = template()["Outputs"]["WebhookBaseUrl"]["Value"]["Fn::If"]
    assert base_url[0] == "HasCustomDomain" and base_url[1] == {"Fn::Sub": "https://${CustomDomain}"}


def test_every_link_base_follows_the_custom_domain_without_a_circular_dependency() -> None:
    # GIVEN the base URL every link and hook URL starts with
    base = {
        "Fn::If": [
            "HasCustomDomain",
            {"Fn::Sub": "https://${CustomDomain}"},
            {"Fn::GetAtt": ["HttpApi", "ApiEndpoint"]},
        ]
    }
    parameter = RESOURCES["PublicBaseUrl"]["Properties"]
    name = "/recovery-loop/${Environment}/public-base-url"
    # THEN the stack's parameter holds it: the custom domain when set, else the API's own endpoint
    assert parameter["Value"] == base and parameter["Name"] == {"Fn::Sub": name}
    # AND every function knows the parameter's name (a plain string, no reference to the API)
    variables = template()["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["PUBLIC_BASE_URL_PARAMETER"] == {"Fn::Sub": name}
    for function_name, resource in of_type("AWS::Serverless::Function").items():
        properties = resource["Properties"]
        own = properties.get("Environment", {}).get("Variables", {})
        routed = any(event["Type"] == "HttpApi" for event in properties.get("Events", {}).values())
        if routed:
            # AND a function the API routes to never names the API (the API holds its ARN): it may read
            # the parameter instead
            assert "PUBLIC_BASE_URL" not in own, function_name
        elif "PUBLIC_BASE_URL" in own:
            # AND the others get the same value directly
            assert own["PUBLIC_BASE_URL"] == base, function_name
    readers = {
        function_name
        for function_name, resource in of_type("AWS::Serverless::Function").items()
        for policy in resource["Properties"].get("Policies", [])
        for statement in (policy.get("Statement", []) if isinstance(policy, dict) else [])
        if statement.get("Action") == ["ssm:GetParameter"]
        and statement.get("Resource", {}).get("Fn::Sub", "").endswith(":parameter" + name)
    }
    assert readers == {
        "AckFunction",
        "AdminFunction",
        "CasesFunction",
        "FollowupPageFunction",
        "ReportsFunction",
    }


def test_sender_domain_has_easy_dkim_and_its_records_are_outputs() -> None:
    identity = RESOURCES["SenderIdentity"]["Properties"]
    assert identity["EmailIdentity"] == {"Ref": "SenderDomain"}
    assert identity["DkimSigningAttributes"]["NextSigningKeyLength"] == "RSA_2048_BIT"
    assert identity["ConfigurationSetAttributes"]["ConfigurationSetName"] == {
        "Ref": "DeliveryConfigurationSet"
    }
    outputs = template()["Outputs"]
    for index in (1, 2, 3):
        value = outputs[f"SenderDkimRecord{index}"]["Value"]["Fn::Sub"]
        assert f"${{SenderIdentity.DkimDNSTokenName{index}}}" in value
        assert f"${{SenderIdentity.DkimDNSTokenValue{index}}}" in value
    assert "DMARC" in outputs["SenderSpfDmarc"]["Value"]["Fn::Sub"]


def test_bounces_and_complaints_reach_the_deliveries_function() -> None:
    destination = RESOURCES["DeliveryEventDestination"]["Properties"]
    assert destination["ConfigurationSetName"] == {"Ref": "DeliveryConfigurationSet"}
    events = destination["EventDestination"]
    assert set(events["MatchingEventTypes"]) == {"bounce", "complaint"}
    topic = events["SnsDestination"]["TopicARN"]
    triggers = RESOURCES["DeliveriesFunction"]["Properties"]["Events"].values()
    assert any(t["Type"] == "SNS" and t["Properties"]["Topic"] == topic for t in triggers)


def test_alarms_mail_the_alarm_email_when_one_is_given() -> None:
    subscription = RESOURCES["OpsAlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert template()["Conditions"]["HasAlarmEmail"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]
    }
    properties = subscription["Properties"]
    assert (properties["TopicArn"], properties["Protocol"], properties["Endpoint"]) == (
        {"Ref": "OpsTopic"},
        "email",
        {"Ref": "AlarmEmail"},
    )


def dashboard() -> dict[str, Any]:
    body = RESOURCES["OpsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    return json.loads(re.sub(r"\$\{[^}]+\}", "x", body))


def test_dashboard_shows_feedback_latency_failures_dlqs_and_errors() -> None:
    widgets = {w["properties"]["title"]: w["properties"] for w in dashboard()["widgets"]}
    assert set(widgets) == {
        "Feedback and negatives",
        "Negative rate (%)",
        "Alert latency p95 (s)",
        "Time to acknowledge (min)",
        "Deliveries failed",
        "DLQ depths",
        "Function errors",
    }
    alert = [m for m in widgets["Alert latency p95 (s)"]["metrics"] if "TimeToAlert" in m]
    assert alert and alert[0][-1]["stat"] == "p95"
    body = RESOURCES["OpsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    for queue in of_type("AWS::SQS::Queue"):
        if queue.endswith("DLQ"):
            assert f"${{{queue}.QueueName}}" in body, queue
    assert "{AWS/Lambda,FunctionName} MetricName=" in json.dumps(widgets["Function errors"])


def test_every_metric_on_the_dashboard_is_emitted_by_the_code() -> None:
    code = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("functions", "layers/recovery/recovery")
        for path in (ROOT / folder).rglob("*.py")
    )
    ours = {
        metric[1]
        for widget in dashboard()["widgets"]
        for metric in widget["properties"]["metrics"]
        if metric and metric[0] == "RecoveryLoop"
    }
    assert ours >= {
        "FeedbackAccepted",
        "FeedbackNegative",
        "TimeToAlert",
        "TimeToAcknowledge",
        "DeliveriesFailed",
    }
    for name in ours:
        assert f'"{name}"' in code, name


def test_runbook_covers_every_alarm() -> None:
    runbook = (ROOT / "docs/runbook.md").read_text(encoding="utf-8")
    missing = [name for name in of_type("AWS::CloudWatch::Alarm") if f"`{name}`" not in runbook]
    assert missing == []


def test_embedded_runtime_serves_ingest_through_its_alias_and_skips_conditional_resources() -> None:
    from local.template import load

    # GIVEN the template with ingest behind a `live` alias and resources behind empty-default conditions
    loaded = load(ROOT / "template.yaml", "us-east-1")
    # THEN the ingest routes still reach the ingest function, and the false conditions created nothing
    routes = {route.route_key: route.function for route in loaded.apis[0].routes}
    assert routes["POST /v1/feedback"] == "IngestFunction"
    assert routes["POST /v1/feedback/batch"] == "IngestFunction"
    assert "OpsAlarmEmailSubscription" not in loaded.resources and "ApiDomain" not in loaded.resources
    assert "SenderIdentity" in loaded.resources


def test_the_http_api_logs_each_request_without_paths_or_callers() -> None:
    # GIVEN the HTTP API's access log
    settings = RESOURCES["HttpApi"]["Properties"]["AccessLogSettings"]
    group = settings["DestinationArn"]["Fn::GetAtt"][0]
    fields = json.loads(settings["Format"])
    # THEN it goes to a log group that expires, one JSON object a request
    assert RESOURCES[group]["Properties"]["RetentionInDays"] == {"Ref": "RetentionDays"}
    assert {"requestId", "route", "status"} <= set(fields)
    # AND it holds no path (link codes travel in paths) and no caller's IP (personal data)
    assert not any(
        variable in settings["Format"] for variable in ("$context.path", "rawPath", "sourceIp", "userAgent")
    )


def test_sms_permissions_never_reach_a_topic() -> None:
    # GIVEN every function whose role may publish to SNS
    for name, resource in of_type("AWS::Serverless::Function").items():
        statements = [
            statement
            for policy in resource["Properties"].get("Policies", [])
            if isinstance(policy, dict)
            for statement in policy.get("Statement", [])
        ]
        publishes = [s for s in statements if s["Effect"] == "Allow" and "sns:Publish" in s["Action"]]
        if not publishes:
            continue
        # THEN it may publish only where no ARN is named (an SMS), and every topic or endpoint is denied
        assert all(s["Resource"] == "*" for s in publishes), name
        denied = [s for s in statements if s["Effect"] == "Deny" and "sns:Publish" in s["Action"]]
        assert [s["Resource"] for s in denied] == [{"Fn::Sub": "arn:${AWS::Partition}:sns:*:*:*"}], name


def _dead_letter_senders() -> dict[str, set[str]]:
    """Per dead-letter queue, the rules (as SAM names them: function + event) that send to it."""
    senders: dict[str, set[str]] = {}
    for name, resource in of_type("AWS::Serverless::Function").items():
        for event, spec in resource["Properties"].get("Events", {}).items():
            arn = (spec.get("Properties", {}).get("DeadLetterConfig") or {}).get("Arn")
            if spec["Type"] in ("EventBridgeRule", "Schedule") and arn:
                queue = arn["Fn::GetAtt"][0] if isinstance(arn, dict) else str(arn).split(".")[0]
                senders.setdefault(queue, set()).add(f"{name}{event}")
    return senders


def test_every_rule_with_a_dead_letter_queue_may_send_to_it() -> None:
    # EventBridge puts an event its target refused in the rule's dead-letter queue only if the queue's
    # policy lets that rule send: a rule missing from the policy loses the event silently on AWS.
    senders = _dead_letter_senders()
    assert senders, "no rule has a dead-letter queue"
    for queue, rules in senders.items():
        [policy] = [
            r
            for r in of_type("AWS::SQS::QueuePolicy").values()
            if {"Ref": queue} in r["Properties"]["Queues"]
        ]
        allowed = {
            arn["Fn::GetAtt"][0]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            for arn in statement.get("Condition", {}).get("ArnEquals", {}).get("aws:SourceArn", [])
            if isinstance(arn, dict)
        }
        assert rules <= allowed, f"{queue}'s policy lets no message in from {sorted(rules - allowed)}"
