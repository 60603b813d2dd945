//! The example contract (`cognito_jwt_e2e::contract`) against `actix-api`:
//! the same walk as `contract_axum`, so both examples answer identically.

#[test]
fn actix_api_answers_the_contract() {
    let binary = cognito_jwt_e2e::contract::example_binary("actix-api");
    cognito_jwt_e2e::contract::walk_contract(&binary);
}

#[test]
fn actix_api_pays_one_fetch_for_a_flood_of_reset_requests() {
    let binary = cognito_jwt_e2e::contract::example_binary("actix-api");
    cognito_jwt_e2e::trust::cancelled_flood_costs_one_fetch(&binary);
}

#[test]
fn actix_api_answers_503_for_a_new_key_during_an_outage() {
    let binary = cognito_jwt_e2e::contract::example_binary("actix-api");
    cognito_jwt_e2e::trust::new_key_during_an_outage_is_503(&binary);
}

#[test]
fn actix_api_logs_a_hostile_kid_escaped() {
    let binary = cognito_jwt_e2e::contract::example_binary("actix-api");
    cognito_jwt_e2e::trust::a_kid_cannot_forge_a_log_line(&binary);
}

#[test]
fn actix_api_is_ready_once_the_keys_are_loaded() {
    let binary = cognito_jwt_e2e::contract::example_binary("actix-api");
    cognito_jwt_e2e::operations::ready_follows_the_issuer_keys(&binary);
}

#[test]
fn actix_api_exposes_metrics_on_request() {
    let binary = cognito_jwt_e2e::contract::example_binary("actix-api");
    cognito_jwt_e2e::operations::metrics_count_the_requests(&binary);
}

#[test]
fn actix_api_revokes_sessions_users_and_clients() {
    let binary = cognito_jwt_e2e::contract::example_binary("actix-api");
    cognito_jwt_e2e::revocation::revocation_routes(&binary);
}

#[test]
fn actix_api_publishes_its_rfc_9728_metadata() {
    let binary = cognito_jwt_e2e::contract::example_binary("actix-api");
    cognito_jwt_e2e::resource_metadata::metadata_is_published(&binary);
}
