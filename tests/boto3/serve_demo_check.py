"""boto3 against `sagetop serve-demo` (run by tests/wire_boto3.rs): the simulated account must
answer botocore as AWS would. Usage: serve_demo_check.py URL. Exits non-zero on the first
failed check, printing what differed."""
import datetime
import sys
import time

import boto3
from botocore.exceptions import ClientError

URL = sys.argv[1]
KW = dict(endpoint_url=URL, region_name="us-east-1", aws_access_key_id="AKIDBOTO3",
          aws_secret_access_key="secret")


def client(name):
    return boto3.client(name, **KW)


def error_of(call, **kw):
    try:
        call(**kw)
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
    raise AssertionError(f"{call.__name__} succeeded, expected an error")


sm = client("sagemaker")
names = []
kw = {"MaxResults": 3}
while True:
    page = sm.list_endpoints(**kw)
    names += [e["EndpointName"] for e in page["Endpoints"]]
    if "NextToken" not in page:
        break
    kw["NextToken"] = page["NextToken"]
assert "churn-predictor" in names and len(names) == len(set(names)) >= 9, names  # legacy-churn-v3 may be deleted already

churn = sm.describe_endpoint(EndpointName="churn-predictor")
assert churn["EndpointStatus"] == "InService", churn["EndpointStatus"]
assert [v["VariantName"] for v in churn["ProductionVariants"]] == ["VariantA", "VariantB"]

now = datetime.datetime.now(datetime.timezone.utc)
cw = client("cloudwatch")
dims = [{"Name": "EndpointName", "Value": "churn-predictor"}, {"Name": "VariantName", "Value": "VariantA"}]
md = cw.get_metric_data(
    MetricDataQueries=[{"Id": "inv", "MetricStat": {"Metric": {"Namespace": "AWS/SageMaker",
                        "MetricName": "Invocations", "Dimensions": dims}, "Period": 60, "Stat": "Sum"}}],
    StartTime=now - datetime.timedelta(hours=3), EndTime=now)
res = md["MetricDataResults"][0]
assert res["StatusCode"] == "Complete" and len(res["Values"]) > 60, res["StatusCode"]

ct = client("cloudtrail")
ev = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventSource",
                                         "AttributeValue": "sagemaker.amazonaws.com"}], MaxResults=10)
assert len(ev["Events"]) == 10 and "NextToken" in ev

sq = client("service-quotas")
applied = sq.list_service_quotas(ServiceCode="sagemaker")["Quotas"]
defaults = sq.list_aws_default_service_quotas(ServiceCode="sagemaker")["Quotas"]
assert 0 < len(applied) < len(defaults), (len(applied), len(defaults))

aas = client("application-autoscaling")
targets = aas.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
# Without a dimension the namespace lists variants' and inference components' targets alike.
variants = [t for t in targets if t["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"]
components = [t for t in targets
              if t["ScalableDimension"] == "sagemaker:inference-component:DesiredCopyCount"]
assert variants and all(t["ResourceId"].startswith("endpoint/") for t in variants)
assert components and all(t["ResourceId"].startswith("inference-component/") for t in components)
assert len(variants) + len(components) == len(targets)
ic = aas.describe_scalable_targets(
    ServiceNamespace="sagemaker",
    ScalableDimension="sagemaker:inference-component:DesiredCopyCount",
    ResourceIds=["inference-component/llama-3-8b-chat"])["ScalableTargets"]
assert [(t["MinCapacity"], t["MaxCapacity"]) for t in ic] == [(1, 8)], ic

assert client("sts").get_caller_identity()["Account"] == "111122223333"

# A weights change: Updating, a second update refused, then InService with the new weights.
sm.update_endpoint_weights_and_capacities(
    EndpointName="churn-predictor",
    DesiredWeightsAndCapacities=[{"VariantName": "VariantA", "DesiredWeight": 1.0},
                                 {"VariantName": "VariantB", "DesiredWeight": 3.0}])
assert sm.describe_endpoint(EndpointName="churn-predictor")["EndpointStatus"] == "Updating"
status, code = error_of(sm.update_endpoint_weights_and_capacities, EndpointName="churn-predictor",
                        DesiredWeightsAndCapacities=[{"VariantName": "VariantA", "DesiredWeight": 2.0}])
assert (status, code) == (400, "ValidationException"), (status, code)
deadline = time.time() + 60
while True:
    d = sm.describe_endpoint(EndpointName="churn-predictor")
    if d["EndpointStatus"] == "InService":
        break
    assert time.time() < deadline, "still " + d["EndpointStatus"]
    time.sleep(0.2)
weights = [v["CurrentWeight"] for v in d["ProductionVariants"]]
assert weights == [1.0, 3.0], weights

# Documented limits the model does not carry get a 400.
assert error_of(aas.describe_scaling_policies, ServiceNamespace="sagemaker", MaxResults=50) == (400, "ValidationException")
assert error_of(ct.lookup_events, LookupAttributes=[
    {"AttributeKey": "ReadOnly", "AttributeValue": "false"},
    {"AttributeKey": "EventSource", "AttributeValue": "sagemaker.amazonaws.com"}]) == (400, "InvalidLookupAttributesException")
print("boto3 checks passed")
