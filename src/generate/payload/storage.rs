//! S3, KMS, DynamoDB and Secrets Manager payloads.

use super::{Parts, resource};
use crate::generate::event::{Ev, Target};
use crate::generate::json::{J, Obj};
use crate::generate::rng::Rng;
use crate::generate::time::rfc3339;

/// Payload for the storage-side services.
pub(super) fn build(ev: &Ev, rng: &mut Rng, padding: bool) -> Parts {
    match ev.op.service() {
        "s3" => s3(ev, rng, padding),
        "kms" => kms(ev, rng),
        "dynamodb" => dynamodb(ev, rng),
        _ => secrets(ev, rng),
    }
}

/// S3 virtual-hosted endpoint of a bucket.
fn s3_host(bucket: &str, region: &str) -> String {
    format!("{bucket}.s3.{region}.amazonaws.com")
}

/// S3's own request ID style: 16 upper-case alphanumerics.
fn s3_request_id(rng: &mut Rng) -> String {
    rng.upper(16)
}

/// `additionalEventData` of S3 calls (byte counts, signature details);
/// object transfers also report the server-side encryption applied.
fn s3_additional(rng: &mut Rng, bytes_in: u64, bytes_out: u64) -> J {
    let mut extra = Obj::new()
        .f("SignatureVersion", "SigV4")
        .f("CipherSuite", "TLS_AES_128_GCM_SHA256")
        .f("bytesTransferredIn", bytes_in);
    if bytes_in + bytes_out > 0 {
        extra.push("SSEApplied", "Default_SSE_S3");
    }
    extra
        .f("AuthenticationMethod", "AuthHeader")
        .f("x-amz-id-2", format!("{}=", rng.alnum(75)))
        .f("bytesTransferredOut", bytes_out)
        .j()
}

/// The bucket resource entry.
fn bucket_resource(ev: &Ev, bucket: &str) -> J {
    resource(
        ev.account,
        "AWS::S3::Bucket",
        format!("arn:aws:s3:::{bucket}"),
    )
}

/// An object resource entry (object entries carry no accountId).
fn object_resource(bucket: &str, key: &str) -> J {
    Obj::new()
        .f("type", "AWS::S3::Object")
        .f("ARN", format!("arn:aws:s3:::{bucket}/{key}"))
        .j()
}

/// S3 management and data events.
fn s3(ev: &Ev, rng: &mut Rng, padding: bool) -> Parts {
    let mut p = match (&ev.target, ev.op.name) {
        (Target::Object(b, k), "PutObject") => {
            object_call(ev, b, k, rng.range(2_000, 60_000_000), 0, rng).resp(
                Obj::new()
                    .f("x-amz-server-side-encryption", "AES256")
                    .f("x-amz-version-id", rng.alnum(32)),
            )
        }
        (Target::Object(b, k), "HeadObject") => object_call(ev, b, k, 0, 0, rng),
        (Target::Object(b, k), _) => {
            let out = rng.range(500, 40_000_000);
            object_call(ev, b, k, 0, out, rng)
        }
        (Target::Copy(b, src, dst), _) => copy_object(ev, b, src, dst, rng),
        (Target::Bucket(b), "ListObjects") => list_objects(ev, b, rng, padding),
        (Target::Bucket(b), name) => bucket_call(ev, b, name, rng),
        _ => {
            let mut p = Parts::req(Obj::new().f("Host", "s3.amazonaws.com"));
            let out = rng.range(800, 9000);
            p.additional = Some(s3_additional(rng, 0, out));
            p
        }
    };
    p.request_id = Some(s3_request_id(rng));
    p
}

/// GetObject / HeadObject / PutObject / DeleteObject on one key.
fn object_call(
    ev: &Ev,
    bucket: &str,
    key: &str,
    bytes_in: u64,
    bytes_out: u64,
    rng: &mut Rng,
) -> Parts {
    let req = Obj::new()
        .f("bucketName", bucket.to_owned())
        .f("Host", s3_host(bucket, ev.region))
        .f("key", key.to_owned());
    let mut p = Parts::req(req).res(vec![
        object_resource(bucket, key),
        bucket_resource(ev, bucket),
    ]);
    p.additional = Some(s3_additional(rng, bytes_in, bytes_out));
    p
}

/// CopyObject inside a bucket: source and destination objects both listed.
fn copy_object(ev: &Ev, bucket: &str, src: &str, dst: &str, rng: &mut Rng) -> Parts {
    let req = Obj::new()
        .f("bucketName", bucket.to_owned())
        .f("Host", s3_host(bucket, ev.region))
        .f("x-amz-copy-source", format!("{bucket}/{src}"))
        .f("key", dst.to_owned());
    let result = Obj::new()
        .f("ETag", format!("\"{}\"", rng.hex(32)))
        .f("LastModified", rfc3339(ev.time).replace('Z', ".000Z"));
    let resources = vec![
        object_resource(bucket, src),
        object_resource(bucket, dst),
        bucket_resource(ev, bucket),
    ];
    let mut p = Parts::req(req)
        .resp(Obj::new().f("CopyObjectResult", result))
        .res(resources);
    p.additional = Some(s3_additional(rng, 0, 0));
    p
}

/// ListObjects (V2 wire format): the object resource has only an `ARNPrefix`.
fn list_objects(ev: &Ev, bucket: &str, rng: &mut Rng, padding: bool) -> Parts {
    let prefix = format!("backups/{}/", rng.range(2019, 2024));
    let mut req = Obj::new()
        .f("list-type", "2")
        .f("bucketName", bucket.to_owned())
        .f("encoding-type", "url")
        .f("prefix", prefix.clone())
        .f("Host", s3_host(bucket, ev.region));
    if padding || rng.chance(0.3) {
        req.push("continuation-token", format!("1{}=", rng.alnum(150)));
    }
    let object = Obj::new()
        .f("type", "AWS::S3::Object")
        .f("ARNPrefix", format!("arn:aws:s3:::{bucket}/{prefix}"));
    let mut p = Parts::req(req).res(vec![object.j(), bucket_resource(ev, bucket)]);
    let out = rng.range(300, 90_000);
    p.additional = Some(s3_additional(rng, 0, out));
    p
}

/// Bucket-level management calls (GetBucketAcl, GetBucketTagging).
fn bucket_call(ev: &Ev, bucket: &str, name: &str, rng: &mut Rng) -> Parts {
    let sub = if name == "GetBucketAcl" {
        "acl"
    } else {
        "tagging"
    };
    let req = Obj::new()
        .f("bucketName", bucket.to_owned())
        .f("Host", s3_host(bucket, ev.region))
        .f(sub, "");
    let mut p = Parts::req(req).res(vec![bucket_resource(ev, bucket)]);
    let out = rng.range(300, 2000);
    p.additional = Some(s3_additional(rng, 0, out));
    p
}

/// A KMS key ARN in the event's account and Region.
fn key_arn(ev: &Ev, key: &str) -> String {
    format!("arn:aws:kms:{}:{}:key/{key}", ev.region, ev.account)
}

/// KMS cryptographic calls and the key-rotation service event.
fn kms(ev: &Ev, rng: &mut Rng) -> Parts {
    let key = match ev.target {
        Target::Key(k) => k,
        _ => "5c3b8e9a-1f2d-4e7b-9a6c-0d1e2f3a4b5c",
    };
    let arn = key_arn(ev, key);
    let kind = "AWS::KMS::Key";
    let context = Obj::new().f(
        "aws:s3:arn",
        format!("arn:aws:s3:::backup-staging-{}/{}", ev.account, rng.hex(12)),
    );
    match ev.op.name {
        "ReEncrypt" => Parts::req(
            Obj::new()
                .f("sourceEncryptionAlgorithm", "SYMMETRIC_DEFAULT")
                .f("destinationKeyId", arn.clone())
                .f("destinationEncryptionAlgorithm", "SYMMETRIC_DEFAULT"),
        )
        .res(vec![
            resource(ev.account, kind, arn.clone()),
            resource(ev.account, kind, arn),
        ]),
        "GenerateDataKey" => Parts::req(
            Obj::new()
                .f("keyId", arn.clone())
                .f("keySpec", "AES_256")
                .f("encryptionContext", context),
        )
        .res(vec![resource(ev.account, kind, arn)]),
        "RotateKey" => {
            let mut p = Parts::default().res(vec![resource(ev.account, kind, arn)]);
            p.service_details = Some(Obj::new().f("keyId", key).j());
            p
        }
        _ => Parts::req(
            Obj::new()
                .f("encryptionAlgorithm", "SYMMETRIC_DEFAULT")
                .f("encryptionContext", context),
        )
        .res(vec![resource(ev.account, kind, arn)]),
    }
}

/// DynamoDB control- and data-plane calls.
fn dynamodb(ev: &Ev, rng: &mut Rng) -> Parts {
    let table = match ev.target {
        Target::Table(t) => t,
        _ => "orders",
    };
    let arn = format!(
        "arn:aws:dynamodb:{}:{}:table/{table}",
        ev.region, ev.account
    );
    let req = match ev.op.name {
        "ListTables" => return with_ddb_id(Parts::default(), rng),
        "GetItem" => Obj::new()
            .f("tableName", table)
            .f(
                "key",
                Obj::new().f("pk", format!("customer#{}", rng.range(1000, 99_999))),
            )
            .f("consistentRead", false),
        "Query" => Obj::new()
            .f("tableName", table)
            .f("keyConditionExpression", "#pk = :pk")
            .f("expressionAttributeNames", Obj::new().f("#pk", "pk"))
            .f("limit", 100i64),
        _ => Obj::new().f("tableName", table),
    };
    let p = Parts::req(req).res(vec![resource(ev.account, "AWS::DynamoDB::Table", arn)]);
    with_ddb_id(p, rng)
}

/// DynamoDB request IDs are 52 upper-case characters.
fn with_ddb_id(mut p: Parts, rng: &mut Rng) -> Parts {
    p.request_id = Some(rng.upper(52));
    p
}

/// Secrets Manager calls and the version-deletion service event.
fn secrets(ev: &Ev, rng: &mut Rng) -> Parts {
    let name = match ev.target {
        Target::Named(n) => n,
        _ => "prod/app/db",
    };
    let arn = format!(
        "arn:aws:secretsmanager:{}:{}:secret:{name}-{}",
        ev.region,
        ev.account,
        rng.alnum(6)
    );
    if ev.op.name == "EndSecretVersionDelete" {
        let request_id = format!(
            "SecretDeleteMessage:{arn}:{}:Forced",
            rfc3339(ev.time - 300)
        );
        return Parts {
            additional: Some(Obj::new().f("ARN", arn).f("Name", name).j()),
            request_id: Some(request_id),
            ..Parts::default()
        };
    }
    Parts::req(Obj::new().f("secretId", arn))
}
