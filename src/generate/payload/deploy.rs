//! ECR, ECS, Lambda, CloudFront and SSM payloads.

use super::{Parts, count, instance_id};
use crate::generate::event::{Ev, Target};
use crate::generate::json::{J, Obj};
use crate::generate::rng::Rng;
use crate::generate::time::{rfc3339, sts_expiration};

/// Payload for the deployment-side services.
pub(super) fn build(ev: &Ev, rng: &mut Rng, padding: bool) -> Parts {
    match ev.op.name {
        "GetAuthorizationToken" => {
            Parts::req(Obj::new().f("registryIds", vec![J::from(ev.account)]))
        }
        "BatchCheckLayerAvailability" => batch_check(ev, rng, padding),
        "PutImage" => put_image(ev, rng, padding),
        "RegisterTaskDefinition" => register_task_definition(ev, rng, padding),
        "UpdateService" => update_service(ev, rng),
        "DescribeServices" => Parts::req(
            Obj::new()
                .f("cluster", "prod")
                .f("services", vec![J::from("app-web"), J::from("app-worker")]),
        ),
        "ListFunctions20150331" => Parts::default(),
        "GetFunction20150331v2" => Parts::req(Obj::new().f("functionName", function(ev))),
        "UpdateFunctionCode20150331v2" => update_function_code(ev, rng, padding),
        "GetDistribution2020_05_31" => cloudfront(Obj::new().f("id", distribution(ev))),
        "UpdateDistribution2020_05_31" => cloudfront(
            Obj::new()
                .f("id", distribution(ev))
                .f("ifMatch", rng.upper(14))
                .f(
                    "distributionConfig",
                    Obj::new().f("enabled", true).f("comment", "prod site"),
                ),
        ),
        "CreateInvalidation2019_03_26" => create_invalidation(ev, rng),
        "GetParameter" => Parts::req(Obj::new().f("name", named(ev)).f("withDecryption", true)),
        "UpdateInstanceInformation" => update_instance_information(ev, rng),
        _ => Parts::default(),
    }
}

/// The function a Lambda call names.
fn function(ev: &Ev) -> &'static str {
    match ev.target {
        Target::Function(f) => f,
        _ => "prod-api",
    }
}

/// The distribution a CloudFront call names.
fn distribution(ev: &Ev) -> &'static str {
    match ev.target {
        Target::Distribution(d) => d,
        _ => "E2QWRUHAPOMQZL",
    }
}

/// The parameter or secret a call names.
fn named(ev: &Ev) -> &'static str {
    match ev.target {
        Target::Named(n) => n,
        _ => "/prod/app/config",
    }
}

/// A `sha256:` digest.
fn digest(rng: &mut Rng) -> String {
    format!("sha256:{}", rng.hex(64))
}

/// BatchCheckLayerAvailability for the layers of one image.
fn batch_check(ev: &Ev, rng: &mut Rng, padding: bool) -> Parts {
    let n = count(rng, padding, 4, 14);
    let layers = (0..n).map(|_| J::from(digest(rng))).collect::<Vec<_>>();
    Parts::req(
        Obj::new()
            .f("repositoryName", "acme/app")
            .f("registryId", ev.account)
            .f("layerDigests", layers),
    )
}

/// An OCI image manifest, as the string ECR logs in PutImage.
fn image_manifest(rng: &mut Rng, layers: u64) -> String {
    let mut s = String::from(
        "{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n   \"config\": {\n      \"mediaType\": \"application/vnd.docker.container.image.v1+json\",\n      \"size\": 7023,\n      \"digest\": \"",
    );
    s.push_str(&digest(rng));
    s.push_str("\"\n   },\n   \"layers\": [");
    for i in 0..layers {
        let sep = if i == 0 { "" } else { "," };
        let size = rng.range(200, 60_000_000);
        s.push_str(&format!(
            "{sep}\n      {{\n         \"mediaType\": \"application/vnd.docker.image.rootfs.diff.tar.gzip\",\n         \"size\": {size},\n         \"digest\": \"{}\"\n      }}",
            digest(rng)
        ));
    }
    s.push_str("\n   ]\n}");
    s
}

/// PutImage: the manifest appears in both request and response.
fn put_image(ev: &Ev, rng: &mut Rng, padding: bool) -> Parts {
    let layers = count(rng, padding, 4, 12);
    let manifest = image_manifest(rng, layers);
    let tag = format!("main-{}", rng.hex(7));
    let media = "application/vnd.docker.distribution.manifest.v2+json";
    let req = Obj::new()
        .f("repositoryName", "acme/app")
        .f("registryId", ev.account)
        .f("imageManifest", manifest.clone())
        .f("imageManifestMediaType", media)
        .f("imageTag", tag.clone());
    let image = Obj::new()
        .f("registryId", ev.account)
        .f("repositoryName", "acme/app")
        .f(
            "imageId",
            Obj::new().f("imageDigest", digest(rng)).f("imageTag", tag),
        )
        .f("imageManifest", manifest)
        .f("imageManifestMediaType", media);
    Parts::req(req).resp(Obj::new().f("image", image))
}

/// One container definition with environment variables.
fn container(name: &'static str, ev: &Ev, rng: &mut Rng, env_vars: u64) -> J {
    let image = format!(
        "{}.dkr.ecr.{}.amazonaws.com/acme/app:main-{}",
        ev.account,
        ev.region,
        rng.hex(7)
    );
    let env = (0..env_vars)
        .map(|i| {
            Obj::new()
                .f("name", format!("APP_SETTING_{i}"))
                .f("value", rng.alnum(24))
                .j()
        })
        .collect::<Vec<_>>();
    let logs = Obj::new().f("logDriver", "awslogs").f(
        "options",
        Obj::new()
            .f("awslogs-group", "/ecs/app")
            .f("awslogs-region", ev.region)
            .f("awslogs-stream-prefix", name),
    );
    Obj::new()
        .f("name", name)
        .f("image", image)
        .f("cpu", 0i64)
        .f(
            "portMappings",
            vec![
                Obj::new()
                    .f("containerPort", 8080i64)
                    .f("hostPort", 8080i64)
                    .f("protocol", "tcp")
                    .j(),
            ],
        )
        .f("essential", true)
        .f("environment", env)
        .f("mountPoints", Vec::new())
        .f("volumesFrom", Vec::new())
        .f("logConfiguration", logs)
        .j()
}

/// RegisterTaskDefinition: a large request echoed back in the response.
fn register_task_definition(ev: &Ev, rng: &mut Rng, padding: bool) -> Parts {
    let vars = if padding { rng.range(6, 25) } else { 2 };
    let containers = vec![
        container("web", ev, rng, vars),
        container("sidecar", ev, rng, vars / 2),
    ];
    let exec_role = format!("arn:aws:iam::{}:role/ecsTaskExecutionRole", ev.account);
    let req = Obj::new()
        .f("family", "app-web")
        .f("containerDefinitions", containers.clone())
        .f("executionRoleArn", exec_role.clone())
        .f("networkMode", "awsvpc")
        .f("requiresCompatibilities", vec![J::from("FARGATE")])
        .f("cpu", "512")
        .f("memory", "1024");
    let revision = rng.range(100, 900);
    let td = Obj::new()
        .f(
            "taskDefinitionArn",
            format!(
                "arn:aws:ecs:{}:{}:task-definition/app-web:{revision}",
                ev.region, ev.account
            ),
        )
        .f("containerDefinitions", containers)
        .f("family", "app-web")
        .f("executionRoleArn", exec_role)
        .f("networkMode", "awsvpc")
        .f("revision", revision)
        .f("status", "ACTIVE")
        .f("compatibilities", vec![J::from("EC2"), J::from("FARGATE")])
        .f("requiresCompatibilities", vec![J::from("FARGATE")])
        .f("cpu", "512")
        .f("memory", "1024")
        .f("registeredAt", sts_expiration(ev.time, true))
        .f(
            "registeredBy",
            ev.caller
                .identity
                .get("arn")
                .and_then(J::as_str)
                .unwrap_or_default()
                .to_owned(),
        );
    Parts::req(req).resp(Obj::new().f("taskDefinition", td))
}

/// UpdateService to the new task definition revision.
fn update_service(ev: &Ev, rng: &mut Rng) -> Parts {
    let td = format!("app-web:{}", rng.range(100, 900));
    let req = Obj::new()
        .f("cluster", "prod")
        .f("service", "app-web")
        .f("taskDefinition", td.clone())
        .f("forceNewDeployment", false);
    let svc = Obj::new()
        .f(
            "serviceArn",
            format!(
                "arn:aws:ecs:{}:{}:service/prod/app-web",
                ev.region, ev.account
            ),
        )
        .f("serviceName", "app-web")
        .f(
            "clusterArn",
            format!("arn:aws:ecs:{}:{}:cluster/prod", ev.region, ev.account),
        )
        .f("status", "ACTIVE")
        .f("desiredCount", 3i64)
        .f("runningCount", 3i64)
        .f("pendingCount", 0i64)
        .f("launchType", "FARGATE")
        .f(
            "taskDefinition",
            format!(
                "arn:aws:ecs:{}:{}:task-definition/{td}",
                ev.region, ev.account
            ),
        )
        .f(
            "deploymentConfiguration",
            Obj::new()
                .f("maximumPercent", 200i64)
                .f("minimumHealthyPercent", 100i64),
        );
    Parts::req(req).resp(Obj::new().f("service", svc))
}

/// UpdateFunctionCode: the response is the new function configuration.
fn update_function_code(ev: &Ev, rng: &mut Rng, padding: bool) -> Parts {
    let name = function(ev);
    let req = Obj::new()
        .f("functionName", name)
        .f("publish", false)
        .f("dryRun", false);
    let layers = (0..count(rng, padding, 1, 5))
        .map(|i| {
            Obj::new()
                .f(
                    "arn",
                    format!(
                        "arn:aws:lambda:{}:{}:layer:shared-{i}:{}",
                        ev.region,
                        ev.account,
                        rng.range(1, 40)
                    ),
                )
                .f("codeSize", rng.range(1000, 9_000_000))
                .j()
        })
        .collect::<Vec<_>>();
    let resp = Obj::new()
        .f("functionName", name)
        .f(
            "functionArn",
            format!(
                "arn:aws:lambda:{}:{}:function:{name}",
                ev.region, ev.account
            ),
        )
        .f("runtime", "python3.12")
        .f(
            "role",
            format!("arn:aws:iam::{}:role/lambda-{name}", ev.account),
        )
        .f("handler", "app.handler")
        .f("codeSize", rng.range(10_000, 40_000_000))
        .f("description", "")
        .f("timeout", 30i64)
        .f("memorySize", 512i64)
        .f(
            "lastModified",
            format!("{}.000+0000", rfc3339(ev.time).trim_end_matches('Z')),
        )
        .f("codeSha256", rng.alnum(43) + "=")
        .f("version", "$LATEST")
        .f(
            "environment",
            Obj::new().f("variables", "HIDDEN_DUE_TO_SECURITY_REASONS"),
        )
        .f("tracingConfig", Obj::new().f("mode", "PassThrough"))
        .f("revisionId", rng.uuid_v4())
        .f("layers", layers)
        .f("state", "Active")
        .f("lastUpdateStatus", "InProgress")
        .f("packageType", "Zip")
        .f("architectures", vec![J::from("x86_64")])
        .f("ephemeralStorage", Obj::new().f("size", 512i64));
    Parts::req(req).resp(resp)
}

/// CloudFront payloads carry `apiVersion`.
fn cloudfront(req: Obj) -> Parts {
    let mut p = Parts::req(req);
    p.api_version = Some("2020_05_31");
    p
}

/// CreateInvalidation with its response.
fn create_invalidation(ev: &Ev, rng: &mut Rng) -> Parts {
    let paths = vec![J::from("/index.html"), J::from("/static/*")];
    let batch = Obj::new()
        .f("paths", Obj::new().f("quantity", 2i64).f("items", paths))
        .f("callerReference", format!("deploy-{}", rng.hex(12)));
    let id = format!("I{}", rng.upper(13));
    let dist = distribution(ev);
    let resp = Obj::new()
        .f(
            "location",
            format!(
                "https://cloudfront.amazonaws.com/2019-03-26/distribution/{dist}/invalidation/{id}"
            ),
        )
        .f(
            "invalidation",
            Obj::new()
                .f("id", id)
                .f("status", "InProgress")
                .f("createTime", sts_expiration(ev.time, true))
                .f("invalidationBatch", batch.clone()),
        );
    let mut p = Parts::req(
        Obj::new()
            .f("distributionId", dist)
            .f("invalidationBatch", batch),
    )
    .resp(resp);
    p.api_version = Some("2019_03_26");
    p
}

/// UpdateInstanceInformation from the SSM agent.
fn update_instance_information(ev: &Ev, rng: &mut Rng) -> Parts {
    let id = match &ev.target {
        Target::Instance(id) => id.clone(),
        _ => instance_id(rng),
    };
    let req = Obj::new()
        .f("instanceId", id)
        .f("agentVersion", "3.2.2222.0")
        .f("agentStatus", "Active")
        .f("platformType", "Linux")
        .f("platformName", "Amazon Linux")
        .f("platformVersion", "2023")
        .f(
            "iPAddress",
            format!("10.0.{}.{}", rng.range(1, 250), rng.range(4, 250)),
        )
        .f(
            "computerName",
            format!(
                "ip-10-0-{}-{}.ec2.internal",
                rng.range(1, 250),
                rng.range(4, 250)
            ),
        )
        .f("agentName", "amazon-ssm-agent")
        .f("availabilityZone", format!("{}a", ev.region))
        .f("ssmConnectionChannel", "ssmmessages");
    Parts::req(req)
}
