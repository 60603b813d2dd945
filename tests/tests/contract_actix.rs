//! The example contract (`cognito_jwt_e2e::contract`) against `actix-api`:
//! the same walk as `contract_axum`, so both examples answer identically.

#[test]
fn actix_api_answers_the_contract() {
    let binary = cognito_jwt_e2e::contract::example_binary("actix-api");
    cognito_jwt_e2e::contract::walk_contract(&binary);
}
