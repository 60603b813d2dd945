//! The MCP server itself: three tools over the demo's orders. Which scope
//! each needs is not here but in [`crate::tool_scopes::TOOL_SCOPES`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use cognito_jwt::Claims;
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::{ErrorData, ServerHandler, schemars, tool, tool_handler, tool_router};

/// The arguments of `create_order`.
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
pub struct NewOrder {
    /// What to order.
    pub item: String,
    /// How many.
    pub quantity: u32,
}

/// The orders MCP server (one per session; the order numbers are shared).
#[derive(Clone, Debug)]
pub struct Orders {
    next_id: Arc<AtomicU32>,
}

impl Default for Orders {
    fn default() -> Self {
        Orders::new()
    }
}

/// The verified claims `CognitoAuth` left in the HTTP request.
fn claims(parts: &http::request::Parts) -> Result<&Claims, ErrorData> {
    parts.extensions.get::<Claims>().ok_or_else(|| {
        ErrorData::internal_error("no verified claims: CognitoAuth is missing", None)
    })
}

#[tool_router]
impl Orders {
    /// A server whose new orders are numbered from 2001.
    pub fn new() -> Self {
        Orders {
            next_id: Arc::new(AtomicU32::new(2001)),
        }
    }

    #[tool(description = "List the orders")]
    fn list_orders(&self) -> Result<String, ErrorData> {
        serde_json::to_string(&demo_support::responses::ORDERS)
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))
    }

    #[tool(description = "Who the caller is: the token's subject and scopes")]
    fn whoami(
        &self,
        Extension(parts): Extension<http::request::Parts>,
    ) -> Result<String, ErrorData> {
        let claims = claims(&parts)?;
        let scopes: Vec<&str> = claims.scopes().collect();
        Ok(serde_json::json!({ "sub": claims.sub(), "scopes": scopes }).to_string())
    }

    #[tool(description = "Place an order")]
    fn create_order(
        &self,
        Extension(parts): Extension<http::request::Parts>,
        Parameters(order): Parameters<NewOrder>,
    ) -> Result<String, ErrorData> {
        let claims = claims(&parts)?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        Ok(serde_json::json!({
            "id": id.to_string(),
            "item": order.item,
            "quantity": order.quantity,
            "created_by": claims.sub(),
        })
        .to_string())
    }
}

#[tool_handler]
impl ServerHandler for Orders {}

/// The names of the tools the server lists.
pub fn tool_names() -> Vec<String> {
    Orders::tool_router()
        .list_all()
        .into_iter()
        .map(|tool| tool.name.into_owned())
        .collect()
}
