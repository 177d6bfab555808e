import pytest

from local.refs import Names, UnresolvedReference, as_env_value, pseudo_parameters, resolve


@pytest.fixture
def names() -> Names:
    return Names(
        refs={
            **pseudo_parameters("eu-west-1"),
            "Environment": "dev",
            "Table": "recovery-loop-local-Table",
            "Queue": "https://sqs.eu-west-1.amazonaws.com/123456789012/q",
        },
        attrs={
            ("Table", "Arn"): "arn:aws:dynamodb:eu-west-1:123456789012:table/t",
            ("Table", "StreamArn"): "arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/1",
            ("Queue", "QueueName"): "q",
        },
    )


def test_ref_and_getatt_in_both_forms(names: Names) -> None:
    assert resolve({"Ref": "Table"}, names) == "recovery-loop-local-Table"
    assert resolve({"Fn::GetAtt": ["Table", "StreamArn"]}, names).endswith("/stream/1")
    assert resolve({"Fn::GetAtt": "Queue.QueueName"}, names) == "q"


def test_pseudo_parameters(names: Names) -> None:
    assert resolve({"Ref": "AWS::Region"}, names) == "eu-west-1"
    assert resolve({"Ref": "AWS::AccountId"}, names) == "123456789012"
    assert resolve({"Ref": "AWS::StackName"}, names) == "recovery-loop-local"
    assert resolve({"Fn::Sub": "${AWS::Partition}.${AWS::URLSuffix}"}, names) == "aws.amazonaws.com"


def test_sub_with_refs_attributes_variables_and_literals(names: Names) -> None:
    assert resolve({"Fn::Sub": "recovery-loop-${Environment}"}, names) == "recovery-loop-dev"
    assert resolve({"Fn::Sub": "${Table.Arn}/index/*"}, names).endswith("table/t/index/*")
    assert resolve({"Fn::Sub": ["${Name}-x", {"Name": {"Ref": "Environment"}}]}, names) == "dev-x"
    assert resolve({"Fn::Sub": "keep ${!Literal}"}, names) == "keep ${Literal}"


def test_join_select_split_and_nesting(names: Names) -> None:
    assert resolve({"Fn::Join": ["-", ["a", {"Ref": "Environment"}]]}, names) == "a-dev"
    assert resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}, names) == "b"
    nested = {"Variables": {"TABLE": {"Ref": "Table"}, "LIST": [{"Ref": "Environment"}]}}
    assert resolve(nested, names) == {"Variables": {"TABLE": "recovery-loop-local-Table", "LIST": ["dev"]}}


def test_unknown_names_and_functions_are_reported(names: Names) -> None:
    with pytest.raises(UnresolvedReference, match="Ref Missing"):
        resolve({"Ref": "Missing"}, names)
    with pytest.raises(UnresolvedReference, match=r"Table\.Nope"):
        resolve({"Fn::Sub": "${Table.Nope}"}, names)
    with pytest.raises(UnresolvedReference, match="Fn::If IsProd"):
        resolve({"Fn::If": ["IsProd", "a", "b"]}, names)
    with pytest.raises(UnresolvedReference, match="Fn::FindInMap"):
        resolve({"Fn::FindInMap": ["M", "a", "b"]}, names)


def test_if_resolves_only_the_branch_its_condition_chooses(names: Names) -> None:
    # GIVEN one condition true and one false, each with a branch that names an unknown resource
    names.conditions.update({"HasCustomDomain": False, "IsDev": True})
    on_api = {"Fn::If": ["HasCustomDomain", {"Fn::GetAtt": "Missing.Url"}, {"Ref": "Environment"}]}
    on_dev = {"Fn::If": ["IsDev", {"Fn::Sub": "https://${Environment}"}, {"Ref": "Missing"}]}

    # WHEN both are resolved THEN each gives its chosen branch, and the other is never looked up
    assert resolve(on_api, names) == "dev"
    assert resolve({"V": on_dev}, names) == {"V": "https://dev"}


def test_environment_values_are_strings() -> None:
    assert as_env_value(True) == "true"
    assert as_env_value(400) == "400"
    assert as_env_value(["a", "b"]) == "a,b"
