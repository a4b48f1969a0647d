//! Glue between the transaction handlers and the sans-IO transaction coordinator
//! (`crate::txn`): coordinator checks and the effects (markers, offsets) it returns.

use super::Ctx;
use crate::cluster::CoordinatorType;

/// NOT_COORDINATOR.
pub(crate) const NOT_COORDINATOR: i16 = kafka_protocol::ErrorCode::NotCoordinator.code();

/// Whether the receiving broker coordinates `transactional_id`.
pub(crate) fn is_txn_coordinator(ctx: &Ctx<'_>, transactional_id: &str) -> bool {
    ctx.state.coordinator_for(CoordinatorType::Transaction, transactional_id) == ctx.broker
}

/// Applies coordinator effects and wakes parked fetches (markers move the LSO).
pub(crate) fn apply(ctx: &mut Ctx<'_>, effects: Vec<crate::txn::TxnEffect>) {
    if !effects.is_empty() {
        ctx.state.apply_txn_effects(effects);
        ctx.changed = true;
    }
}
