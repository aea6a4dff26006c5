//! Fault injection: the failures a client of a real installation meets, staged on demand.
//!
//! Faults form a queue and apply in order to the next calls of the contract (the `/_sim/`
//! control calls are never affected). A fault that concerns the answer to a call (unavailable,
//! delay, malformed body, dropped connection) applies to `count` calls in a row. The others take
//! effect when a call reaches them: `ExpireTokens` ends every session before that call is
//! handled, `FailNextOperation` and `StealNextClaim` arm an event that fires on the next
//! operation started and the next owner claim, whatever calls come in between.

use std::collections::VecDeque;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Over HTTP (`POST /_sim/fault`) a fault is written `{"fault": "<name>", ...fields}`, e.g.
/// `{"fault": "unavailable", "count": 3}` or `{"fault": "delay", "duration_ms": 500, "count": 1}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// 503 with an error body, as while the service wakes up.
    Unavailable { count: u32 },
    /// Every token issued so far becomes invalid: calls using one get 401.
    ExpireTokens,
    /// The answer comes after `duration`.
    Delay {
        #[serde(rename = "duration_ms", with = "milliseconds")]
        duration: Duration,
        count: u32,
    },
    /// 200 with a body that is not JSON, as from a misconfigured proxy.
    MalformedBody { count: u32 },
    /// The connection is closed without an answer.
    Drop { count: u32 },
    /// The next operation started ends `failed` (`fail` in the platform dialect).
    FailNextOperation,
    /// The next owner claim (`POST .../owner`, or `POST .../account` with a user id in the
    /// platform dialect) first gives the server to another user, so that the caller
    /// gets 409 as when another claim won the race.
    StealNextClaim,
}

mod milliseconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_millis)
    }
}

/// What happens to the answer of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerFault {
    Unavailable,
    Delay(Duration),
    MalformedBody,
    Drop,
}

/// The faults that reached one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallFaults {
    pub answer: Option<AnswerFault>,
    pub expire_tokens: bool,
    pub fail_operations: u32,
    pub steal_claims: u32,
}

#[derive(Debug, Default)]
pub struct FaultQueue {
    queue: VecDeque<Fault>,
}

impl FaultQueue {
    pub fn push(&mut self, fault: Fault) {
        self.queue.push_back(fault);
    }

    /// Takes what applies to the call arriving now.
    pub fn next_call(&mut self) -> CallFaults {
        let mut faults = CallFaults::default();
        while let Some(front) = self.queue.front_mut() {
            let (answer, remaining) = match front {
                Fault::ExpireTokens => {
                    faults.expire_tokens = true;
                    self.queue.pop_front();
                    continue;
                }
                Fault::FailNextOperation => {
                    faults.fail_operations += 1;
                    self.queue.pop_front();
                    continue;
                }
                Fault::StealNextClaim => {
                    faults.steal_claims += 1;
                    self.queue.pop_front();
                    continue;
                }
                Fault::Unavailable { count } => (AnswerFault::Unavailable, count),
                Fault::Delay { duration, count } => (AnswerFault::Delay(*duration), count),
                Fault::MalformedBody { count } => (AnswerFault::MalformedBody, count),
                Fault::Drop { count } => (AnswerFault::Drop, count),
            };
            if *remaining == 0 {
                self.queue.pop_front();
                continue;
            }
            *remaining -= 1;
            if *remaining == 0 {
                self.queue.pop_front();
            }
            faults.answer = Some(answer);
            break;
        }
        faults
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_apply_in_order() {
        let mut queue = FaultQueue::default();
        queue.push(Fault::Unavailable { count: 2 });
        queue.push(Fault::ExpireTokens);
        queue.push(Fault::Drop { count: 0 });
        queue.push(Fault::FailNextOperation);
        queue.push(Fault::MalformedBody { count: 1 });
        let answer = |f: &CallFaults| f.answer;
        assert_eq!(answer(&queue.next_call()), Some(AnswerFault::Unavailable));
        assert_eq!(answer(&queue.next_call()), Some(AnswerFault::Unavailable));
        let third = queue.next_call();
        assert!(third.expire_tokens);
        assert_eq!(third.fail_operations, 1);
        assert_eq!(third.answer, Some(AnswerFault::MalformedBody));
        assert_eq!(queue.next_call(), CallFaults::default());
    }

    #[test]
    fn wire_form() {
        let delay: Fault =
            serde_json::from_str(r#"{"fault": "delay", "duration_ms": 250, "count": 2}"#).unwrap();
        assert_eq!(
            delay,
            Fault::Delay {
                duration: Duration::from_millis(250),
                count: 2
            }
        );
        let steal: Fault = serde_json::from_str(r#"{"fault": "steal_next_claim"}"#).unwrap();
        assert_eq!(steal, Fault::StealNextClaim);
        assert_eq!(
            serde_json::to_string(&Fault::Drop { count: 1 }).unwrap(),
            r#"{"fault":"drop","count":1}"#
        );
        assert!(serde_json::from_str::<Fault>(r#"{"fault": "drop"}"#).is_err());
        assert!(serde_json::from_str::<Fault>(r#"{"fault": "explode"}"#).is_err());
    }
}
