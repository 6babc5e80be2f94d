//! Why an attempt to send failed, as the senders and the links of identity's e-mails
//! report it to the delivery worker.

/// Why an attempt failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Worth trying again later (timeouts, 4xx SMTP replies, 5xx HTTP answers).
    Transient(String),
    /// The server refused for good (unknown mailbox, invalid number).
    Permanent(String),
}
