//! EC2, CloudWatch, Resource Groups Tagging, CloudWatch Logs and ELB payloads.

use super::{Parts, count, instance_id, items, tags};
use crate::generate::event::{Ev, Target};
use crate::generate::json::{J, Obj};
use crate::generate::rng::Rng;
use crate::generate::time::rfc3339;

/// Payload for the compute-side services.
pub(super) fn build(ev: &Ev, rng: &mut Rng, padding: bool) -> Parts {
    match ev.op.name {
        "DescribeInstances" => describe_instances(rng, padding),
        "DescribeVolumes" => Parts::req(
            Obj::new()
                .f("volumeSet", Obj::new())
                .f("filterSet", Obj::new())
                .f("maxResults", 500i64),
        ),
        "DescribeSecurityGroups" => describe_security_groups(rng, padding),
        "DescribeRegions" => {
            Parts::req(Obj::new().f("regionSet", Obj::new()).f("allRegions", false))
        }
        "DescribeNetworkInterfaces" => describe_enis(rng),
        "CreateNetworkInterface" => create_eni(ev, rng),
        "RunInstances" => run_instances(ev, rng, padding),
        "CreateTags" => create_tags(ev, rng),
        "GetMetricData" => get_metric_data(ev, rng, padding),
        "ListMetrics" => list_metrics(rng),
        "DescribeAlarms" => Parts::req(Obj::new().f("maxRecords", 100i64)),
        "GetResources" => get_resources(rng, padding),
        "DescribeLogGroups" => Parts::req(Obj::new().f("limit", 50i64)),
        "DescribeLoadBalancers" => {
            let mut p = Parts::req(Obj::new().f("pageSize", 400i64));
            p.api_version = Some("2015-12-01");
            p
        }
        _ => Parts::default(),
    }
}

/// A filter `{name, valueSet: {items: [{value}]}}`.
fn filter(name: &'static str, values: Vec<String>) -> J {
    let vals = values
        .into_iter()
        .map(|v| Obj::new().f("value", v).j())
        .collect();
    Obj::new().f("name", name).f("valueSet", items(vals)).j()
}

/// DescribeInstances: crawlers page through everything with filters; with
/// padding they ask for explicit instance lists, as Datadog's crawler does.
fn describe_instances(rng: &mut Rng, padding: bool) -> Parts {
    let n = if padding {
        rng.range(8, 45)
    } else {
        rng.below(3)
    };
    let ids = (0..n)
        .map(|_| Obj::new().f("instanceId", instance_id(rng)).j())
        .collect();
    let states = vec![
        "running".to_owned(),
        "pending".to_owned(),
        "stopped".to_owned(),
    ];
    let filters = vec![filter("instance-state-name", states)];
    Parts::req(
        Obj::new()
            .f("instancesSet", items(ids))
            .f("filterSet", items(filters))
            .f("maxResults", 1000i64),
    )
}

/// DescribeSecurityGroups filtered by VPC.
fn describe_security_groups(rng: &mut Rng, padding: bool) -> Parts {
    let n = count(rng, padding, 2, 12);
    let vpcs = (0..n).map(|_| format!("vpc-0{}", rng.hex(16))).collect();
    Parts::req(
        Obj::new()
            .f("securityGroupSet", Obj::new())
            .f("securityGroupIdSet", Obj::new())
            .f("filterSet", items(vec![filter("vpc-id", vpcs)])),
    )
}

/// DescribeNetworkInterfaces filtered by description, as the API Gateway
/// service-linked role does when managing VPC links.
fn describe_enis(rng: &mut Rng) -> Parts {
    let desc = vec![format!("VPC Link vpclink-{}", rng.hex(6))];
    Parts::req(
        Obj::new()
            .f("networkInterfaceIdSet", Obj::new())
            .f("filterSet", items(vec![filter("description", desc)])),
    )
}

/// CreateNetworkInterface with its (medium-sized) response.
fn create_eni(ev: &Ev, rng: &mut Rng) -> Parts {
    let subnet = format!("subnet-0{}", rng.hex(16));
    let eni = format!("eni-0{}", rng.hex(16));
    let ip = format!("10.0.{}.{}", rng.range(1, 250), rng.range(4, 250));
    let req = Obj::new()
        .f("subnetId", subnet.clone())
        .f("description", "VPC Link for API Gateway")
        .f(
            "groupSet",
            items(vec![
                Obj::new().f("groupId", format!("sg-0{}", rng.hex(16))).j(),
            ]),
        );
    let iface = Obj::new()
        .f("networkInterfaceId", eni)
        .f("subnetId", subnet)
        .f("vpcId", format!("vpc-0{}", rng.hex(16)))
        .f("availabilityZone", format!("{}a", ev.region))
        .f("description", "VPC Link for API Gateway")
        .f("ownerId", ev.account)
        .f("requesterId", "ops.apigateway.amazonaws.com")
        .f("requesterManaged", true)
        .f("status", "pending")
        .f("privateIpAddress", ip.clone())
        .f(
            "privateIpAddressesSet",
            items(vec![
                Obj::new().f("privateIpAddress", ip).f("primary", true).j(),
            ]),
        )
        .f("interfaceType", "interface")
        .f("tagSet", Obj::new());
    let resp = Obj::new()
        .f("requestId", rng.uuid_v4())
        .f("networkInterface", iface);
    Parts::req(req).resp(resp)
}

/// RunInstances: a big request and an even bigger response.
fn run_instances(ev: &Ev, rng: &mut Rng, padding: bool) -> Parts {
    let n = if padding { rng.range(1, 4) } else { 1 };
    let ami = format!("ami-0{}", rng.hex(16));
    let pairs = [
        ("Name", "app-worker"),
        ("team", "platform"),
        ("env", "prod"),
    ];
    let spec = Obj::new()
        .f("resourceType", "instance")
        .f("tags", tags(&pairs));
    let disk = Obj::new().f("deviceName", "/dev/xvda").f(
        "ebs",
        Obj::new()
            .f("volumeSize", 30i64)
            .f("deleteOnTermination", true)
            .f("volumeType", "gp3")
            .f("encrypted", true),
    );
    let req = Obj::new()
        .f(
            "instancesSet",
            items(vec![
                Obj::new()
                    .f("imageId", ami.clone())
                    .f("minCount", n)
                    .f("maxCount", n)
                    .j(),
            ]),
        )
        .f("instanceType", "m6i.large")
        .f("blockDeviceMapping", items(vec![disk.j()]))
        .f("userData", "<sensitiveDataRemoved>")
        .f("monitoring", Obj::new().f("enabled", false))
        .f("disableApiTermination", false)
        .f("disableApiStop", false)
        .f("clientToken", rng.uuid_v4())
        .f(
            "iamInstanceProfile",
            Obj::new().f(
                "arn",
                format!("arn:aws:iam::{}:instance-profile/app-server", ev.account),
            ),
        )
        .f("tagSpecificationSet", items(vec![spec.j()]));
    let launched = (0..n).map(|_| launched_instance(ev, rng, &ami)).collect();
    let resp = Obj::new()
        .f("requestId", rng.uuid_v4())
        .f("reservationId", format!("r-0{}", rng.hex(16)))
        .f("ownerId", ev.account)
        .f("groupSet", Obj::new())
        .f("instancesSet", items(launched));
    Parts::req(req).resp(resp)
}

/// One instance in a RunInstances response.
fn launched_instance(ev: &Ev, rng: &mut Rng, ami: &str) -> J {
    let ip = format!("10.0.{}.{}", rng.range(1, 250), rng.range(4, 250));
    let subnet = format!("subnet-0{}", rng.hex(16));
    let vpc = format!("vpc-0{}", rng.hex(16));
    let sg = Obj::new()
        .f("groupId", format!("sg-0{}", rng.hex(16)))
        .f("groupName", "app-server");
    let eni = Obj::new()
        .f("networkInterfaceId", format!("eni-0{}", rng.hex(16)))
        .f("subnetId", subnet.clone())
        .f("vpcId", vpc.clone())
        .f("ownerId", ev.account)
        .f("status", "in-use")
        .f(
            "macAddress",
            format!(
                "0a:{}:{}:{}:{}:{}",
                rng.hex(2),
                rng.hex(2),
                rng.hex(2),
                rng.hex(2),
                rng.hex(2)
            ),
        )
        .f("privateIpAddress", ip.clone())
        .f("sourceDestCheck", true)
        .f("groupSet", items(vec![sg.clone().j()]))
        .f("interfaceType", "interface");
    Obj::new()
        .f("instanceId", instance_id(rng))
        .f("imageId", ami.to_owned())
        .f(
            "instanceState",
            Obj::new().f("code", 0i64).f("name", "pending"),
        )
        .f(
            "privateDnsName",
            format!("ip-{}.ec2.internal", ip.replace('.', "-")),
        )
        .f("amiLaunchIndex", 0i64)
        .f("productCodes", Obj::new())
        .f("instanceType", "m6i.large")
        .f("launchTime", ev.time * 1000)
        .f(
            "placement",
            Obj::new()
                .f("availabilityZone", format!("{}b", ev.region))
                .f("tenancy", "default"),
        )
        .f("monitoring", Obj::new().f("state", "disabled"))
        .f("subnetId", subnet)
        .f("vpcId", vpc)
        .f("privateIpAddress", ip)
        .f(
            "stateReason",
            Obj::new().f("code", "pending").f("message", "pending"),
        )
        .f("architecture", "x86_64")
        .f("rootDeviceType", "ebs")
        .f("rootDeviceName", "/dev/xvda")
        .f("blockDeviceMapping", Obj::new())
        .f("virtualizationType", "hvm")
        .f("hypervisor", "xen")
        .f("groupSet", items(vec![sg.j()]))
        .f("networkInterfaceSet", items(vec![eni.j()]))
        .f("ebsOptimized", true)
        .f("enaSupport", true)
        .f(
            "cpuOptions",
            Obj::new().f("coreCount", 1i64).f("threadsPerCore", 2i64),
        )
        .f(
            "metadataOptions",
            Obj::new()
                .f("state", "pending")
                .f("httpTokens", "required")
                .f("httpPutResponseHopLimit", 2i64)
                .f("httpEndpoint", "enabled"),
        )
        .f(
            "maintenanceOptions",
            Obj::new().f("autoRecovery", "default"),
        )
        .j()
}

/// CreateTags on an instance.
fn create_tags(ev: &Ev, rng: &mut Rng) -> Parts {
    let id = match &ev.target {
        Target::Instance(id) => id.clone(),
        _ => instance_id(rng),
    };
    let req = Obj::new()
        .f(
            "resourcesSet",
            items(vec![Obj::new().f("resourceId", id).j()]),
        )
        .f(
            "tagSet",
            items(vec![
                Obj::new().f("key", "owner").f("value", "platform").j(),
            ]),
        );
    Parts::req(req).resp(Obj::new().f("requestId", rng.uuid_v4()).f("_return", true))
}

/// The CloudWatch metrics a monitoring crawler asks for.
const METRICS: &[(&str, &str, &str)] = &[
    ("AWS/EC2", "CPUUtilization", "InstanceId"),
    ("AWS/EC2", "NetworkIn", "InstanceId"),
    ("AWS/EC2", "NetworkOut", "InstanceId"),
    ("AWS/EBS", "VolumeReadOps", "VolumeId"),
    ("AWS/ApplicationELB", "RequestCount", "LoadBalancer"),
    ("AWS/Lambda", "Invocations", "FunctionName"),
    ("AWS/DynamoDB", "ConsumedReadCapacityUnits", "TableName"),
];

/// GetMetricData: one query per (metric, resource); crawlers batch many.
fn get_metric_data(ev: &Ev, rng: &mut Rng, padding: bool) -> Parts {
    let n = if padding {
        rng.range(3, 25)
    } else {
        rng.range(1, 2)
    };
    let queries = (0..n).map(|i| metric_query(rng, i)).collect();
    let end = ev.time - ev.time % 300;
    let req = Obj::new()
        .f("metricDataQueries", J::Arr(queries))
        .f("startTime", rfc3339(end - 3600))
        .f("endTime", rfc3339(end))
        .f("scanBy", "TimestampAscending");
    Parts::req(req)
}

/// One `metricDataQueries` entry.
fn metric_query(rng: &mut Rng, i: u64) -> J {
    let (ns, name, dim) = *rng.pick(METRICS);
    let value = match dim {
        "InstanceId" => instance_id(rng),
        "VolumeId" => format!("vol-0{}", rng.hex(16)),
        "LoadBalancer" => format!("app/prod-alb/{}", rng.hex(16)),
        _ => format!("prod-{}", rng.hex(6)),
    };
    let metric = Obj::new().f("namespace", ns).f("metricName", name).f(
        "dimensions",
        J::Arr(vec![Obj::new().f("name", dim).f("value", value).j()]),
    );
    let stat = Obj::new()
        .f("metric", metric)
        .f("period", 300i64)
        .f("stat", "Average");
    Obj::new()
        .f("id", format!("m{i}"))
        .f("metricStat", stat)
        .f("returnData", true)
        .j()
}

/// ListMetrics for one namespace.
fn list_metrics(rng: &mut Rng) -> Parts {
    let (ns, _, _) = *rng.pick(METRICS);
    Parts::req(Obj::new().f("namespace", ns).f("recentlyActive", "PT3H"))
}

/// GetResources with the resource-type filters a crawler uses.
fn get_resources(rng: &mut Rng, padding: bool) -> Parts {
    const TYPES: &[&str] = &[
        "ec2:instance",
        "ec2:volume",
        "elasticloadbalancing:loadbalancer",
        "lambda:function",
        "dynamodb:table",
        "s3:bucket",
        "rds:db",
        "sqs:queue",
        "sns:topic",
        "ecs:service",
    ];
    let n = count(rng, padding, 4, TYPES.len() as u64) as usize;
    let filters = TYPES[..n.min(TYPES.len())]
        .iter()
        .map(|t| J::from(*t))
        .collect::<Vec<_>>();
    let mut req = Obj::new()
        .f("resourcesPerPage", 100i64)
        .f("resourceTypeFilters", filters);
    if rng.chance(0.4) {
        req.push("paginationToken", rng.alnum(48));
    }
    Parts::req(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_shape() {
        let f = filter("vpc-id", vec!["vpc-1".to_owned()]);
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"name":"vpc-id","valueSet":{"items":[{"value":"vpc-1"}]}}"#
        );
    }
}
