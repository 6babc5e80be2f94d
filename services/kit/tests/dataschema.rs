//! An event's `dataschema` is a URI, as CloudEvents requires
//! (`urn:guichet:proto:<full name>`); events stored in an outbox before, with the bare
//! protobuf name, still decode and still leave as a URI. The last test uses RabbitMQ,
//! in its own vhost.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod common;

use guichet_kit::{
    bus::{self, Bus, Event, Published, Publisher},
    testing,
};
use guichet_proto::events::v1::{AccountErased, ComplaintFiled};
use lapin::{
    options::{BasicGetOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable},
};

const URI: &str = "urn:guichet:proto:guichet.events.v1.ComplaintFiled";

/// As a row written before `dataschema` was a URI reads back.
fn stored_before(subject: &str) -> Event {
    Event {
        dataschema: "guichet.events.v1.ComplaintFiled".to_owned(),
        ..common::filed(subject)
    }
}

#[test]
fn a_new_events_dataschema_is_a_uri_naming_its_message() {
    let event = common::filed("C-1");
    assert_eq!(event.dataschema, URI);
    assert_eq!(event.dataschema, bus::dataschema::<ComplaintFiled>());
}

#[test]
fn an_event_decodes_whether_its_dataschema_is_a_uri_or_a_bare_name() {
    for event in [common::filed("C-2"), stored_before("C-2")] {
        let body: ComplaintFiled = event.decode().unwrap();
        assert_eq!(body.tracking_number, "C-2", "{}", event.dataschema);
    }
}

#[test]
fn an_event_does_not_decode_as_another_message() {
    for event in [common::filed("C-3"), stored_before("C-3")] {
        let wrong = event.decode::<AccountErased>().unwrap_err();
        assert!(
            wrong
                .to_string()
                .contains("not guichet.events.v1.AccountErased"),
            "{wrong:#}"
        );
    }
}

#[tokio::test]
async fn an_event_stored_with_a_bare_name_is_published_with_the_uri() {
    testing::init_logs();
    let bus = Bus::new(testing::vhost("dataschema").await.expect("test vhost"));
    let publisher = Publisher::open(&bus).await.unwrap();
    let connection = bus.connect().await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    let queue = "test.dataschema";
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    channel
        .queue_bind(
            queue.into(),
            bus.config().exchange.as_str().into(),
            "complaints.complaint.filed".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();

    let sent = Event {
        traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned()),
        ..stored_before("C-4")
    };
    assert_eq!(publisher.publish(&sent).await.unwrap(), Published::Routed);
    let message = channel
        .basic_get(queue.into(), BasicGetOptions { no_ack: true })
        .await
        .unwrap()
        .expect("the event in the queue");
    let headers = message.delivery.properties.headers().clone().unwrap();
    let header = |key: &str| match headers.inner().get(key) {
        Some(AMQPValue::LongString(value)) => {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        }
        other => panic!("{key}: {other:?}"),
    };
    assert_eq!(header("cloudEvents:dataschema"), URI);
    assert_eq!(header("traceparent"), sent.traceparent.clone().unwrap());
    let received = Event::from_delivery(&message.delivery).unwrap();
    let body: ComplaintFiled = received.decode().unwrap();
    assert_eq!(body.tracking_number, "C-4");

    connection.close(200, "bye".into()).await.ok();
    publisher.close().await;
    testing::delete_vhost_blocking(bus.config());
}
