//! Both example APIs behind a stand-in Application Load Balancer
//! (`cognito_jwt_e2e::alb`).

#[test]
fn axum_api_authenticates_the_load_balancers_data_token() {
    let binary = cognito_jwt_e2e::contract::example_binary("axum-api");
    cognito_jwt_e2e::alb::me_answers_the_load_balancers_user(&binary);
}

#[test]
fn actix_api_authenticates_the_load_balancers_data_token() {
    let binary = cognito_jwt_e2e::contract::example_binary("actix-api");
    cognito_jwt_e2e::alb::me_answers_the_load_balancers_user(&binary);
}
