//! Per-route authorization over verified claims: token kind, scopes, groups,
//! and your own checks.

use std::fmt;
use std::sync::Arc;

use crate::claims::{Claims, TokenUse};
use crate::error::{BuildError, ClaimError, Error};

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
/// **Scopes are for access tokens.** A scope rule refuses an ID token with
/// 401 `invalid_token` (ID tokens carry no scopes: they say who the user
/// is, not what a client may do). **Groups are read from either kind**:
/// both carry `cognito:groups`, as API Gateway's Cognito authorizer
/// accepts; add [`token_use`](Self::token_use) to a group rule to insist on
/// one kind.
///
/// The list rules refuse an empty list, an empty name, or a scope that is not
/// an RFC 6749 scope token (printable ASCII without space, `"` or `\`) with a
/// [`BuildError`]: a list read from an empty environment variable must not
/// silently open a route (`all_*`) or close it (`any_*`).
///
/// ```
/// use cognito_jwt::{BuildError, Requirement, TokenUse};
/// let write_orders = Requirement::new()
///     .token_use(TokenUse::Access)
///     .any_scope(["orders/write", "orders/admin"])?;
/// let admins = Requirement::new().any_group(["admin"])?;
/// let tenant = Requirement::new().check(|claims| match claims.get("custom:tenant") {
///     Some(t) if t == "acme" => Ok(()),
///     _ => Err("wrong tenant".into()),
/// });
///
/// let from_env: Vec<String> = Vec::new(); // e.g. an unset REQUIRED_SCOPES
/// assert!(matches!(
///     Requirement::new().all_scopes(from_env),
///     Err(BuildError::InvalidList { .. })
/// ));
/// assert!(Requirement::new().any_scope(["orders read"]).is_err());
/// # let _ = (write_orders, admins, tenant);
/// # Ok::<(), BuildError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Requirement {
    rules: Vec<Rule>,
}

/// The names of a list rule, checked: at least one, and each accepted by
/// `name_ok` (for scopes [`is_scope_token`], so that every challenge naming
/// them is a valid header; for groups and audiences, not empty).
pub(crate) fn checked_list<S: Into<String>>(
    what: &'static str,
    items: impl IntoIterator<Item = S>,
    name_ok: fn(&str) -> bool,
    rule: &'static str,
) -> Result<Vec<String>, BuildError> {
    let items: Vec<String> = items.into_iter().map(Into::into).collect();
    let reason = if items.is_empty() {
        "the list is empty"
    } else if !items.iter().all(|s| name_ok(s)) {
        rule
    } else {
        return Ok(items);
    };
    Err(BuildError::InvalidList { what, reason })
}

/// What a group or audience name must be.
pub(crate) fn is_name(name: &str) -> bool {
    !name.is_empty()
}

/// Whether `scope` is an RFC 6749 §3.3 scope token,
/// `1*( %x21 / %x23-5B / %x5D-7E )`: what a scope rule may name. A `const
/// fn`, so adapters can check scope lists declared as constants at compile
/// time with the same rule.
///
/// ```
/// use cognito_jwt::is_scope_token;
/// assert!(is_scope_token("orders/read"));
/// assert!(!is_scope_token(""));
/// assert!(!is_scope_token("orders read"));
/// assert!(!is_scope_token("caf\u{e9}"));
/// ```
pub const fn is_scope_token(scope: &str) -> bool {
    let mut bytes = scope.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    while let [b, rest @ ..] = bytes {
        if !matches!(*b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E) {
            return false;
        }
        bytes = rest;
    }
    true
}

/// The reason a scope list with an invalid name gets.
pub(crate) const SCOPE_RULE: &str =
    "a scope is not an RFC 6749 scope token (printable ASCII, no space, quote or backslash)";

/// The reason a group or audience list with an empty name gets.
pub(crate) const NAME_RULE: &str = "a name is empty";

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

    /// The token must carry at least one of these scopes. Failing is 403 `insufficient_scope`; an ID token is 401.
    pub fn any_scope<S: Into<String>>(
        mut self,
        scopes: impl IntoIterator<Item = S>,
    ) -> Result<Self, BuildError> {
        self.rules.push(Rule::Scopes {
            scopes: checked_list("scopes", scopes, is_scope_token, SCOPE_RULE)?,
            all: false,
        });
        Ok(self)
    }

    /// The token must carry all of these scopes. Failing is 403 `insufficient_scope`; an ID token is 401.
    pub fn all_scopes<S: Into<String>>(
        mut self,
        scopes: impl IntoIterator<Item = S>,
    ) -> Result<Self, BuildError> {
        self.rules.push(Rule::Scopes {
            scopes: checked_list("scopes", scopes, is_scope_token, SCOPE_RULE)?,
            all: true,
        });
        Ok(self)
    }

    /// The user must be in at least one of these groups (`cognito:groups`). Failing is 403.
    pub fn any_group<S: Into<String>>(
        mut self,
        groups: impl IntoIterator<Item = S>,
    ) -> Result<Self, BuildError> {
        self.rules.push(Rule::Groups {
            groups: checked_list("groups", groups, is_name, NAME_RULE)?,
            all: false,
        });
        Ok(self)
    }

    /// The user must be in all of these groups. Failing is 403.
    pub fn all_groups<S: Into<String>>(
        mut self,
        groups: impl IntoIterator<Item = S>,
    ) -> Result<Self, BuildError> {
        self.rules.push(Rule::Groups {
            groups: checked_list("groups", groups, is_name, NAME_RULE)?,
            all: true,
        });
        Ok(self)
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
                Rule::TokenUse(expected) => of_kind(claims, *expected)?,
                Rule::Scopes { scopes, all } => {
                    of_kind(claims, TokenUse::Access)?;
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

/// The token-use rule: the claims are of kind `expected`, or the error is
/// 401 wrong token use. Scope rules apply it too, for scopes are only read
/// from access tokens.
pub(crate) fn of_kind(claims: &Claims, expected: TokenUse) -> Result<(), Error> {
    if claims.token_use() == expected {
        return Ok(());
    }
    Err(ClaimError::WrongTokenUse {
        expected: expected.as_str(),
        actual: claims.token_use().as_str().to_owned(),
    }
    .into())
}

/// `all`: every item present. Any: at least one present. Lists are never
/// empty (see [`checked_list`]).
fn matches(required: &[String], all: bool, present: impl Fn(&str) -> bool) -> bool {
    if all {
        required.iter().all(|r| present(r))
    } else {
        required.iter().any(|r| present(r))
    }
}
