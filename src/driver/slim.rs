//! The driver's own view of a `mesos.v1.scheduler.Event`: only the fields its bookkeeping reads
//! (the type, offer ids, the rescinded offer id, and what an acknowledgement needs), with the
//! field numbers of scheduler.proto / mesos.proto. prost skips every other field without
//! allocating, which makes this view an order of magnitude cheaper than a full `Event` decode on
//! an OFFERS stream (bench/driver); the full event is decoded only when someone asks for it.

use crate::proto::mesos as m;

/// `mesos.v1.scheduler.Event`, slimmed.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct SlimEvent {
    #[prost(int32, optional, tag = "1")]
    pub r#type: Option<i32>,
    #[prost(message, optional, tag = "3")]
    pub offers: Option<SlimOffers>,
    #[prost(message, optional, tag = "4")]
    pub rescind: Option<SlimRescind>,
    #[prost(message, optional, tag = "5")]
    pub update: Option<SlimUpdate>,
}

/// `Event.Offers`: the offers' ids.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct SlimOffers {
    #[prost(message, repeated, tag = "1")]
    pub offers: Vec<SlimOffer>,
}

/// `mesos.v1.Offer`: its id only.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct SlimOffer {
    #[prost(message, required, tag = "1")]
    pub id: m::OfferId,
}

/// `Event.Rescind`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct SlimRescind {
    #[prost(message, required, tag = "1")]
    pub offer_id: m::OfferId,
}

/// `Event.Update`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct SlimUpdate {
    #[prost(message, required, tag = "1")]
    pub status: SlimStatus,
}

/// `mesos.v1.TaskStatus`: what ACKNOWLEDGE carries.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct SlimStatus {
    #[prost(message, required, tag = "1")]
    pub task_id: m::TaskId,
    #[prost(message, optional, tag = "5")]
    pub agent_id: Option<m::AgentId>,
    #[prost(bytes = "vec", optional, tag = "11")]
    pub uuid: Option<Vec<u8>>,
}

impl SlimStatus {
    /// A `TaskStatus` holding just the acknowledgement fields (for `calls::acknowledge`).
    pub fn to_status(&self) -> m::TaskStatus {
        m::TaskStatus {
            task_id: self.task_id.clone(),
            agent_id: self.agent_id.clone(),
            uuid: self.uuid.clone(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::mesos::scheduler::{event, Event};
    use prost::Message;

    fn full_offer(id: &str) -> m::Offer {
        m::Offer {
            id: m::OfferId { value: id.into() },
            framework_id: m::FrameworkId { value: "f".into() },
            agent_id: m::AgentId { value: "a".into() },
            hostname: "host".into(),
            resources: vec![m::Resource {
                name: "cpus".into(),
                r#type: m::value::Type::Scalar as i32,
                scalar: Some(m::value::Scalar { value: 2.0 }),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn reads_the_same_fields_as_the_full_event() {
        let offers = Event {
            r#type: Some(event::Type::Offers as i32),
            offers: Some(event::Offers {
                offers: vec![full_offer("o1"), full_offer("o2")],
            }),
            ..Default::default()
        };
        let slim = SlimEvent::decode(offers.encode_to_vec().as_slice()).unwrap();
        assert_eq!(slim.r#type, Some(event::Type::Offers as i32));
        let ids: Vec<_> = slim
            .offers
            .unwrap()
            .offers
            .into_iter()
            .map(|o| o.id.value)
            .collect();
        assert_eq!(ids, ["o1", "o2"]);

        let status = m::TaskStatus {
            task_id: m::TaskId { value: "t1".into() },
            state: m::TaskState::TaskRunning as i32,
            agent_id: Some(m::AgentId { value: "a1".into() }),
            message: Some("running".into()),
            uuid: Some(vec![1, 2, 3]),
            ..Default::default()
        };
        let update = Event {
            r#type: Some(event::Type::Update as i32),
            update: Some(event::Update {
                status: status.clone(),
            }),
            ..Default::default()
        };
        let slim = SlimEvent::decode(update.encode_to_vec().as_slice()).unwrap();
        let got = slim.update.unwrap().status.to_status();
        assert_eq!(
            (got.task_id, got.agent_id, got.uuid),
            (status.task_id, status.agent_id, status.uuid)
        );

        let rescind = Event {
            r#type: Some(event::Type::Rescind as i32),
            rescind: Some(event::Rescind {
                offer_id: m::OfferId { value: "o9".into() },
            }),
            ..Default::default()
        };
        let slim = SlimEvent::decode(rescind.encode_to_vec().as_slice()).unwrap();
        assert_eq!(slim.rescind.unwrap().offer_id.value, "o9");
    }
}

/// `mesos.v1.scheduler.Call`, slimmed to what the driver checks of an ACCEPT before sending it
/// as it was encoded: its type and the offers it uses. The scheduler core's ACCEPTs carry
/// hundreds of tasks; decoding them only to encode them again cost more than the rest of
/// their way out.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct SlimCall {
    #[prost(int32, optional, tag = "2")]
    pub r#type: Option<i32>,
    #[prost(message, optional, tag = "4")]
    pub accept: Option<SlimAccept>,
}

/// `Call.Accept`: the offer ids.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct SlimAccept {
    #[prost(message, repeated, tag = "1")]
    pub offer_ids: Vec<m::OfferId>,
}

/// An encoded ACCEPT call and the offers it uses.
#[derive(Debug)]
pub struct EncodedAccept {
    pub(crate) offer_ids: Vec<String>,
    pub(crate) body: Vec<u8>,
}

impl EncodedAccept {
    /// The ACCEPT in `body`; None when it is another call, or does not read as a call with
    /// an accept body (decoding it in full then says what is wrong).
    pub fn read(body: Vec<u8>) -> Result<EncodedAccept, Vec<u8>> {
        use crate::proto::mesos::scheduler::call::Type;
        let Ok(head) = <SlimCall as prost::Message>::decode(body.as_slice()) else {
            return Err(body);
        };
        match head.accept {
            Some(accept) if head.r#type == Some(Type::Accept as i32) => Ok(EncodedAccept {
                offer_ids: accept.offer_ids.into_iter().map(|o| o.value).collect(),
                body,
            }),
            _ => Err(body),
        }
    }

    /// The call's bytes with `framework_id` (field 1) set: appended, so it replaces any the
    /// call carried, as a decoder reads the last occurrence of a field.
    pub(crate) fn with_framework_id(mut self, id: Option<&m::FrameworkId>) -> Vec<u8> {
        use prost::encoding::{encode_key, encode_varint, WireType};
        use prost::Message;
        if let Some(id) = id {
            encode_key(1, WireType::LengthDelimited, &mut self.body);
            encode_varint(id.encoded_len() as u64, &mut self.body);
            id.encode_raw(&mut self.body);
        }
        self.body
    }
}
