//! Recording a decision, explicit (an agent) or implicit (the scheduler), the one way:
//! the status and sub-status, the letter, a rectified notice for a partial
//! cancellation, the timeline entry and the events, all in the caller's transaction on
//! a dispute it has locked.

use chrono::{DateTime, Utc};
use guichet_kit::{
    bus,
    calendar::{french_date, paris_date},
    demand::{
        events::{self as demand_events, Act},
        timeline::{self, TimelineRow},
    },
};
use guichet_proto::{demand::v1::Status, names, rapo::v1::DecisionKind};
use sqlx::PgConnection;

use crate::{
    domain::{
        appeal_deadline, decision_code, euros,
        letter::{self, LetterFacts},
        opens_appeal, rectified_notice_number,
    },
    events::{self, Decided},
    store::{self, DecisionRecord, DisputeRow},
};

/// What was decided.
#[derive(Debug, Clone)]
pub struct Decision<'a> {
    pub kind: DecisionKind,
    pub reasons: &'a str,
    /// Partial cancellation only.
    pub rectified_amount_cents: Option<i64>,
}

/// The letter `decision` makes on `dispute`, decided at `decided_at` by `decided_by`.
pub fn letter_of(
    dispute: &DisputeRow,
    decision: &Decision<'_>,
    decided_at: DateTime<Utc>,
    decided_by: &str,
    rectified_notice_number: Option<&str>,
) -> String {
    let appeal_by = opens_appeal(decision.kind).then(|| appeal_deadline(paris_date(decided_at)));
    letter::render(&LetterFacts {
        tracking_number: &dispute.tracking_number,
        notice_number: &dispute.notice_number,
        plate: &dispute.fps_plate,
        amount_cents: dispute.amount_cents,
        offence_at: dispute.offence_at,
        place: &dispute.place,
        holder_name: &dispute.holder_name,
        holder_address: &dispute.holder_address,
        representative_name: &dispute.representative_name,
        received_at: dispute.received_at,
        kind: decision.kind,
        reasons: decision.reasons,
        rectified_amount_cents: decision.rectified_amount_cents,
        rectified_notice_number,
        decided_at,
        decided_by,
        appeal_by,
    })
}

/// Records `decision` on `dispute` (locked by the caller). `false` when the dispute had
/// been decided already: the caller rolls back and nothing happened.
pub async fn record(
    conn: &mut PgConnection,
    dispute: &DisputeRow,
    decision: &Decision<'_>,
    act: &Act,
) -> anyhow::Result<bool> {
    let code = decision_code(decision.kind);
    // An implicit rejection is born when the month is over, whenever it is recorded.
    let decided_at: DateTime<Utc> = if decision.kind == DecisionKind::ImplicitRejection {
        dispute.due_at
    } else {
        act.at
    };
    let appeal_by = opens_appeal(decision.kind).then(|| appeal_deadline(paris_date(decided_at)));
    let rectified_number =
        (decision.kind == DecisionKind::PartialCancellation).then(rectified_notice_number);
    if let (Some(number), Some(amount)) = (&rectified_number, decision.rectified_amount_cents) {
        store::insert_rectified(
            &mut *conn,
            number,
            dispute,
            amount,
            paris_date(decided_at),
            act.at,
        )
        .await?;
    }
    let decided_by = if decision.kind == DecisionKind::ImplicitRejection {
        ""
    } else {
        act.author.name.as_str()
    };
    let letter = letter_of(
        dispute,
        decision,
        decided_at,
        decided_by,
        rectified_number.as_deref(),
    );
    let status = match decision.kind {
        DecisionKind::FullCancellation | DecisionKind::PartialCancellation => Status::Resolved,
        _ => Status::Rejected,
    };
    let recorded = store::record_decision(
        &mut *conn,
        dispute.id,
        &DecisionRecord {
            status: &names::status(status),
            code,
            reasons: decision.reasons,
            rectified_amount_cents: decision.rectified_amount_cents,
            rectified_notice_number: rectified_number.as_deref(),
            decided_at,
            decided_by,
            appeal_by,
            letter: &letter,
        },
    )
    .await?;
    if !recorded {
        return Ok(false);
    }
    let mut summary = match decision.kind {
        DecisionKind::FullCancellation => "Forfait post-stationnement annulé.".to_owned(),
        DecisionKind::PartialCancellation => format!(
            "Recours partiellement accueilli : montant ramené de {} à {}, avis rectificatif n° {}.",
            euros(dispute.amount_cents),
            euros(decision.rectified_amount_cents.unwrap_or_default()),
            rectified_number.as_deref().unwrap_or_default()
        ),
        DecisionKind::Rejection => "Recours rejeté.".to_owned(),
        _ => format!(
            "Rejet implicite : la Ville n'a pas répondu au recours avant la fin du {}.",
            french_date(dispute.answer_by)
        ),
    };
    if !decision.reasons.is_empty() {
        summary.push_str(&format!(" Motifs : {}", decision.reasons));
    }
    if let Some(appeal_by) = appeal_by {
        summary.push(' ');
        summary.push_str(&letter::next_step(appeal_by).text);
    }
    let entry =
        TimelineRow::status_change(&act.author, act.channel, act.at, status, code, &summary);
    timeline::insert(&mut *conn, dispute.id, &entry).await?;
    let title = events::title(&dispute.notice_number);
    let subject = events::subject(dispute, &title);
    bus::enqueue(
        &mut *conn,
        &demand_events::status_changed(&subject, act, status, code, &summary),
    )
    .await?;
    let decided = Decided {
        kind: decision.kind,
        code,
        rectified_amount_cents: decision.rectified_amount_cents,
        rectified_notice_number: rectified_number.as_deref(),
        decided_at,
        appeal_by,
    };
    bus::enqueue(&mut *conn, &events::decided(dispute, &decided, act.at)).await?;
    Ok(true)
}
