//! Per-route authorization over verified claims: token kind, scopes, groups,
//! and your own checks.

use std::fmt;
use std::sync::Arc;

use crate::claims::{Claims, TokenUse};
use crate::error::{ClaimError, Error};

type Check = Arc<dyn Fn(&Claims) -> Result<(), String> + Send + Sync>;

#[derive(Clone)]
enum Rule {
    TokenUse(TokenUse),
    Scopes { scopes: Vec<String>, all: bool },
    Groups { groups: Vec<String>, all: bool },
    Custom(Check),
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::TokenUse(u) => write!(f, "token_use={u}"),
            Rule::Scopes { scopes, all } => {
                write!(f, "{} scopes {scopes:?}", if *all { "all" } else { "any" })
            }
            Rule::Groups { groups, all } => {
                write!(f, "{} groups {groups:?}", if *all { "all" } else { "any" })
            }
            Rule::Custom(_) => f.write_str("custom check"),
        }
    }
}

/// What a route needs from a verified token. Every rule added must pass.
///
/// Scopes and groups match exactly and case-sensitively; the `scope` claim is
/// split on spaces, so `orders/read` is not satisfied by `orders/readx`.
///
/// ```
/// use cognito_jwt::{Requirement, TokenUse};
/// let write_orders = Requirement::new()
///     .token_use(TokenUse::Access)
///     .any_scope(["orders/write", "orders/admin"]);
/// let admins = Requirement::new().any_group(["admin"]);
/// let tenant = Requirement::new().check(|claims| match claims.get("custom:tenant") {
///     Some(t) if t == "acme" => Ok(()),
///     _ => Err("wrong tenant".into()),
/// });
/// # let _ = (write_orders, admins, tenant);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Requirement {
    rules: Vec<Rule>,
}

fn owned<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Vec<String> {
    items.into_iter().map(Into::into).collect()
}

impl Requirement {
    /// A requirement that any verified token meets; add rules to it.
    pub fn new() -> Self {
        Requirement::default()
    }

    /// The token must be of this kind (`id` or `access`). Failing is 401 `invalid_token`.
    pub fn token_use(mut self, token_use: TokenUse) -> Self {
        self.rules.push(Rule::TokenUse(token_use));
        self
    }

    /// The token must carry at least one of these scopes. Failing is 403 `insufficient_scope`.
    pub fn any_scope<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.rules.push(Rule::Scopes {
            scopes: owned(scopes),
            all: false,
        });
        self
    }

    /// The token must carry all of these scopes. Failing is 403 `insufficient_scope`.
    pub fn all_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.rules.push(Rule::Scopes {
            scopes: owned(scopes),
            all: true,
        });
        self
    }

    /// The user must be in at least one of these groups (`cognito:groups`). Failing is 403.
    pub fn any_group<S: Into<String>>(mut self, groups: impl IntoIterator<Item = S>) -> Self {
        self.rules.push(Rule::Groups {
            groups: owned(groups),
            all: false,
        });
        self
    }

    /// The user must be in all of these groups. Failing is 403.
    pub fn all_groups<S: Into<String>>(mut self, groups: impl IntoIterator<Item = S>) -> Self {
        self.rules.push(Rule::Groups {
            groups: owned(groups),
            all: true,
        });
        self
    }

    /// Your own check over the claims; `Err(reason)` is 403 and the reason goes to logs only.
    pub fn check<F>(mut self, check: F) -> Self
    where
        F: Fn(&Claims) -> Result<(), String> + Send + Sync + 'static,
    {
        self.rules.push(Rule::Custom(Arc::new(check)));
        self
    }

    /// Whether there is no rule at all.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Check the claims against every rule, in the order they were added.
    pub fn verify(&self, claims: &Claims) -> Result<(), Error> {
        for rule in &self.rules {
            match rule {
                Rule::TokenUse(expected) => {
                    if claims.token_use() != *expected {
                        return Err(ClaimError::WrongTokenUse {
                            expected: expected.as_str(),
                            actual: claims.token_use().as_str().to_owned(),
                        }
                        .into());
                    }
                }
                Rule::Scopes { scopes, all } => {
                    if !matches(scopes, *all, |s| claims.has_scope(s)) {
                        return Err(Error::InsufficientScope {
                            required: scopes.clone(),
                            all: *all,
                        });
                    }
                }
                Rule::Groups { groups, all } => {
                    if !matches(groups, *all, |g| claims.in_group(g)) {
                        return Err(Error::MissingGroup {
                            required: groups.clone(),
                            all: *all,
                        });
                    }
                }
                Rule::Custom(check) => check(claims).map_err(Error::Forbidden)?,
            }
        }
        Ok(())
    }
}

/// `all`: every item present (vacuously true when empty). Any: at least one present.
pub(crate) fn matches(required: &[String], all: bool, present: impl Fn(&str) -> bool) -> bool {
    if all {
        required.iter().all(|r| present(r))
    } else {
        required.iter().any(|r| present(r))
    }
}
