//! What the gateway and the demand silos agree on about demands without either needing
//! a database: kept apart from [`crate::demand`] (SQL, behind the `bus` feature) so the
//! gateway links neither sqlx nor lapin.

/// The reason (`google.rpc.ErrorInfo`) of a key sent again with another request; the
/// gateway answers it as its own problem code.
pub const IDEMPOTENCY_KEY_REUSED: &str = "idempotency_key_reused";

/// Whether a demand in `status` is finished: nothing more happens to it.
pub fn is_final(status: &str) -> bool {
    matches!(status, "resolved" | "rejected" | "closed")
}

/// How many demands a list returns: 50 unless asked, never more than 200.
pub fn list_limit(asked: u32) -> i64 {
    match asked {
        0 => 50,
        n => i64::from(n.min(200)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_resolved_rejected_and_closed_are_final() {
        assert!(is_final("closed") && is_final("rejected") && is_final("resolved"));
        assert!(!is_final("awaiting_resident") && !is_final("in_progress"));
    }
}
