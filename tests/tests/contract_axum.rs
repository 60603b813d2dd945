//! The example contract (`cognito_jwt_e2e::contract`) against `axum-api`.

#[test]
fn axum_api_answers_the_contract() {
    let binary = cognito_jwt_e2e::contract::example_binary("axum-api");
    cognito_jwt_e2e::contract::walk_contract(&binary);
}
