//! The events AWS's own services send when they invoke the function: S3 event
//! notifications, SQS messages carrying them, EventBridge "Object Created" events and
//! Step Functions Distributed Map batches. Each becomes the objects to process; docproc's
//! own event (`{"mode": ...}`) is none of these.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sqs::SqsEvent;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    S3,
    Sqs,
    EventBridge,
    DistributedMap,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::S3 => "S3 notification",
            Source::Sqs => "SQS",
            Source::EventBridge => "EventBridge",
            Source::DistributedMap => "Distributed Map",
        }
    }
}

/// One object an event names, with its key as stored (decoded where the event encodes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// `None` where the event does not say (a Distributed Map item).
    pub bucket: Option<String>,
    pub key: String,
}

/// One delivery: an SQS message, or the whole event for the other sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The SQS message id, which a batch item failure names.
    pub id: Option<String>,
    /// `Err` for an SQS message that carries no event we understand. It is reported as a
    /// failure, so SQS moves it to the dead-letter queue after its last receive.
    pub objects: Result<Vec<Object>, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    pub source: Source,
    pub messages: Vec<Message>,
}

/// A Step Functions Distributed Map batch from an S3 ItemReader (ListObjectsV2 items) and
/// an ItemBatcher; `BatchInput` and the items' other fields are not needed.
#[derive(Deserialize)]
struct MapBatch {
    #[serde(rename = "Items")]
    items: Vec<MapItem>,
}

#[derive(Deserialize)]
struct MapItem {
    #[serde(rename = "Key")]
    key: String,
}

/// `detail` of an EventBridge event from S3.
#[derive(Deserialize, Serialize)]
struct S3Detail {
    bucket: NamedBucket,
    object: DetailObject,
}

#[derive(Deserialize, Serialize)]
struct NamedBucket {
    name: String,
}

#[derive(Deserialize, Serialize)]
struct DetailObject {
    key: String,
}

impl Trigger {
    /// `None` when `payload` is shaped like none of AWS's events: docproc's own event, or
    /// something unknown, which that event's parser refuses clearly.
    pub fn parse(payload: &Value) -> Option<Result<Trigger, String>> {
        let source = detect(payload)?;
        let messages = match source {
            Source::Sqs => SqsEvent::deserialize(payload).map(|event| {
                event
                    .records
                    .into_iter()
                    .map(|m| Message {
                        objects: carried(m.body.as_deref().unwrap_or_default()),
                        id: m.message_id,
                    })
                    .collect()
            }),
            Source::S3 | Source::EventBridge | Source::DistributedMap => objects(source, payload)
                .map(|objects| {
                    vec![Message {
                        id: None,
                        objects: Ok(objects),
                    }]
                }),
        };
        Some(
            messages
                .map(|messages| Trigger { source, messages })
                .map_err(|e| format!("bad {} event: {e}", source.as_str())),
        )
    }
}

fn detect(payload: &Value) -> Option<Source> {
    let record_source = payload
        .get("Records")
        .and_then(|r| r.get(0))
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str);
    match record_source {
        Some("aws:s3") => return Some(Source::S3),
        Some("aws:sqs") => return Some(Source::Sqs),
        _ => {}
    }
    if payload.get("source").and_then(Value::as_str) == Some("aws.s3")
        && payload.get("detail-type").is_some()
    {
        return Some(Source::EventBridge);
    }
    payload
        .get("Items")
        .is_some_and(Value::is_array)
        .then_some(Source::DistributedMap)
}

fn objects(source: Source, payload: &Value) -> Result<Vec<Object>, serde_json::Error> {
    Ok(match source {
        Source::S3 => S3Event::deserialize(payload)?
            .records
            .into_iter()
            // A rule that also sends deletions or restores names objects with nothing to do.
            .filter(|r| {
                r.event_name
                    .as_deref()
                    .is_none_or(|n| n.starts_with("ObjectCreated:"))
            })
            .filter_map(|r| {
                Some(Object {
                    bucket: r.s3.bucket.name,
                    // S3 notifications URL-encode keys, with `+` for a space.
                    key: docproc_s3fs::url_decode(&r.s3.object.key?),
                })
            })
            .collect(),
        Source::EventBridge => {
            let event = EventBridgeEvent::<S3Detail>::deserialize(payload)?;
            if event.detail_type != "Object Created" {
                return Ok(Vec::new());
            }
            // EventBridge carries the key as stored, not URL-encoded.
            vec![Object {
                bucket: Some(event.detail.bucket.name),
                key: event.detail.object.key,
            }]
        }
        Source::DistributedMap => MapBatch::deserialize(payload)?
            .items
            .into_iter()
            .map(|i| Object {
                bucket: None,
                key: i.key,
            })
            .collect(),
        Source::Sqs => unreachable!("SQS messages carry the other events"),
    })
}

/// The objects an SQS message body names: an S3 notification (S3 → SQS) or an
/// EventBridge event (a rule → SQS). S3's test event, sent once when a notification is
/// set up, names none.
fn carried(body: &str) -> Result<Vec<Object>, String> {
    let payload: Value =
        serde_json::from_str(body).map_err(|e| format!("message body is not JSON: {e}"))?;
    if payload.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(Vec::new());
    }
    match detect(&payload) {
        Some(source @ (Source::S3 | Source::EventBridge)) => {
            objects(source, &payload).map_err(|e| format!("bad {} event: {e}", source.as_str()))
        }
        _ => Err("message body is neither an S3 notification nor an EventBridge event".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s3_event(keys: &[&str]) -> Value {
        json!({"Records": keys.iter().map(|k| json!({
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventTime": "2026-12-01T12:00:00.000Z", "eventName": "ObjectCreated:Put",
            "userIdentity": {"principalId": "AWS:EXAMPLE"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {"x-amz-request-id": "R", "x-amz-id-2": "I"},
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "inbox",
                   "bucket": {"name": "docs", "ownerIdentity": {"principalId": "O"},
                              "arn": "arn:aws:s3:::docs"},
                   "object": {"key": k, "size": 5, "eTag": "e", "sequencer": "0A"}}
        })).collect::<Vec<_>>()})
    }

    #[test]
    fn s3_keys_are_url_decoded() {
        let t = Trigger::parse(&s3_event(&["inbox/a+b%2Bc%C3%A9.txt"]))
            .unwrap()
            .unwrap();
        assert_eq!(t.source, Source::S3);
        assert_eq!(
            t.messages[0].objects,
            Ok(vec![Object {
                bucket: Some("docs".into()),
                key: "inbox/a b+cé.txt".into()
            }])
        );
    }

    #[test]
    fn only_created_objects_are_named() {
        let mut event = s3_event(&["inbox/gone.txt", "inbox/new.txt"]);
        event["Records"][0]["eventName"] = json!("ObjectRemoved:Delete");
        let t = Trigger::parse(&event).unwrap().unwrap();
        let keys: Vec<&str> = t.messages[0]
            .objects
            .as_ref()
            .unwrap()
            .iter()
            .map(|o| o.key.as_str())
            .collect();
        assert_eq!(keys, ["inbox/new.txt"]);
    }

    #[test]
    fn sqs_bodies_carry_events_and_a_bad_body_is_that_message_only() {
        let sqs = json!({"Records": [
            {"messageId": "m1", "body": s3_event(&["inbox/x"]).to_string(), "eventSource": "aws:sqs"},
            {"messageId": "m2", "body": "not json", "eventSource": "aws:sqs"},
            {"messageId": "m3", "body": json!({"Service": "Amazon S3", "Event": "s3:TestEvent"}).to_string(), "eventSource": "aws:sqs"},
        ]});
        let t = Trigger::parse(&sqs).unwrap().unwrap();
        assert_eq!(t.source, Source::Sqs);
        assert_eq!(t.messages[0].id.as_deref(), Some("m1"));
        assert_eq!(t.messages[0].objects.as_ref().unwrap()[0].key, "inbox/x");
        assert!(
            t.messages[1]
                .objects
                .as_ref()
                .unwrap_err()
                .contains("not JSON")
        );
        assert_eq!(t.messages[2].objects, Ok(vec![]));
    }

    #[test]
    fn eventbridge_keys_are_taken_as_stored_and_map_batches_read() {
        let eb = json!({"version": "0", "id": "i", "detail-type": "Object Created",
            "source": "aws.s3", "account": "1", "time": "2026-12-01T12:00:00Z",
            "region": "us-east-1", "resources": ["arn:aws:s3:::docs"],
            "detail": {"version": "0", "bucket": {"name": "docs"},
                       "object": {"key": "inbox/a+b.txt", "size": 1, "etag": "e"},
                       "request-id": "r", "requester": "1", "reason": "PutObject"}});
        let t = Trigger::parse(&eb).unwrap().unwrap();
        assert_eq!(
            t.messages[0].objects.as_ref().unwrap()[0].key,
            "inbox/a+b.txt"
        );
        let map = json!({"Items": [{"Key": "inbox/a", "Size": 1, "Etag": "\"e\"",
            "LastModified": "2026-12-01T12:00:00Z", "StorageClass": "STANDARD"}],
            "BatchInput": {"run": 1}});
        let t = Trigger::parse(&map).unwrap().unwrap();
        assert_eq!(t.source, Source::DistributedMap);
        assert_eq!(t.messages[0].objects.as_ref().unwrap()[0].key, "inbox/a");
    }

    #[test]
    fn own_and_unknown_shapes_are_not_triggers() {
        for v in [
            json!({"mode": "process"}),
            json!({"Records": [{"eventSource": "aws:dynamodb"}]}),
            json!({"detail-type": "x", "source": "aws.ec2"}),
            json!("process"),
        ] {
            assert!(Trigger::parse(&v).is_none(), "{v}");
        }
        let e = Trigger::parse(&json!({"Items": [{"Size": 1}]}))
            .unwrap()
            .unwrap_err();
        assert!(
            e.contains("bad Distributed Map event") && e.contains("Key"),
            "{e}"
        );
    }
}
