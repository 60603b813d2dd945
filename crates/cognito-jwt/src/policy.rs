//! Requirements named by a type, for extractors that state in a handler's
//! signature what the token must grant: [`Policy`], [`ScopeSet`] and
//! [`GroupSet`].
//!
//! The adapters' `Authorized<P>`, `RequireScope<S>` and `RequireGroup<G>`
//! read them through [`Need`](crate::adapter::Need), which builds each
//! type's [`Requirement`] once per thread, not on every request.

use std::any::TypeId;
use std::cell::RefCell;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use crate::error::BuildError;
use crate::requirement::{Requirement, is_scope_token};

/// A named [`Requirement`]: what a route's token must meet, declared once
/// as a type and used as `Authorized<P>` in every adapter.
///
/// ```
/// use cognito_jwt::{BuildError, Policy, Requirement, TokenUse};
///
/// struct ReadOrders;
/// impl Policy for ReadOrders {
///     fn requirement() -> Result<Requirement, BuildError> {
///         Requirement::new().token_use(TokenUse::Access).any_scope(["orders/read"])
///     }
/// }
///
/// // Check policies in a unit test: an invalid one answers 500 on every request.
/// assert!(ReadOrders::requirement().is_ok());
/// ```
///
/// `requirement` runs once per thread (the result is kept). A policy whose
/// requirement is a [`BuildError`] (an empty list) answers every request it
/// guards with 500, logged as an error.
pub trait Policy: 'static {
    /// What the token must meet.
    fn requirement() -> Result<Requirement, BuildError>;
}

/// Scopes a handler needs, declared once as a type, for `RequireScope<S>`
/// in every adapter (an access token carrying them).
///
/// ```
/// use cognito_jwt::ScopeSet;
///
/// struct OrdersRead;
/// impl ScopeSet for OrdersRead {
///     const SCOPES: &'static [&'static str] = &["orders/read", "orders/admin"];
/// }
///
/// struct ReadAndWrite;
/// impl ScopeSet for ReadAndWrite {
///     const SCOPES: &'static [&'static str] = &["orders/read", "orders/write"];
///     const ALL: bool = true;
/// }
/// ```
///
/// An empty `SCOPES`, an empty scope or one that is not an RFC 6749 scope
/// token does not compile where `RequireScope<S>` is used.
pub trait ScopeSet: Send + Sync + 'static {
    /// The scopes.
    const SCOPES: &'static [&'static str];
    /// Whether all of them are needed (`true`) or any one (`false`, the default).
    const ALL: bool = false;
}

/// Groups a handler needs, declared once as a type, for `RequireGroup<G>`
/// in every adapter (a token of either kind whose user is in them).
///
/// ```
/// use cognito_jwt::GroupSet;
///
/// struct Admins;
/// impl GroupSet for Admins {
///     const GROUPS: &'static [&'static str] = &["admin"];
/// }
/// ```
///
/// An empty `GROUPS` or an empty group name does not compile where
/// `RequireGroup<G>` is used.
pub trait GroupSet: Send + Sync + 'static {
    /// The groups (`cognito:groups`).
    const GROUPS: &'static [&'static str];
    /// Whether all of them are needed (`true`) or any one (`false`, the default).
    const ALL: bool = false;
}

/// A static list is usable: not empty, no empty name and, for scopes, RFC
/// 6749 scope tokens only ([`is_scope_token`]): the rule [`Requirement`]
/// applies to lists at run time, evaluated at compile time.
const fn usable_list(mut items: &[&str], scopes: bool) -> bool {
    if items.is_empty() {
        return false;
    }
    while let [item, rest @ ..] = items {
        if item.is_empty() || (scopes && !is_scope_token(item)) {
            return false;
        }
        items = rest;
    }
    true
}

/// The [`Policy`] of a [`ScopeSet`]: an access token with its scopes.
pub(crate) struct ScopesOf<S>(PhantomData<fn() -> S>);

impl<S: ScopeSet> Policy for ScopesOf<S> {
    fn requirement() -> Result<Requirement, BuildError> {
        const {
            assert!(
                usable_list(S::SCOPES, true),
                "ScopeSet::SCOPES must name at least one scope, each an RFC 6749 scope token"
            )
        };
        let scopes = S::SCOPES.iter().copied();
        if S::ALL {
            Requirement::new().all_scopes(scopes)
        } else {
            Requirement::new().any_scope(scopes)
        }
    }
}

/// The [`Policy`] of a [`GroupSet`]: a token whose user is in its groups.
pub(crate) struct GroupsOf<G>(PhantomData<fn() -> G>);

impl<G: GroupSet> Policy for GroupsOf<G> {
    fn requirement() -> Result<Requirement, BuildError> {
        const {
            assert!(
                usable_list(G::GROUPS, false),
                "GroupSet::GROUPS must name at least one group, none empty"
            )
        };
        let groups = G::GROUPS.iter().copied();
        if G::ALL {
            Requirement::new().all_groups(groups)
        } else {
            Requirement::new().any_group(groups)
        }
    }
}

/// A policy's requirement as built, or why it could not be.
pub(crate) type Built = Result<Arc<Requirement>, BuildError>;

thread_local! {
    /// Each policy type's requirement, built on this thread's first use.
    /// Per thread, so the request path takes no lock.
    static BUILT: RefCell<HashMap<TypeId, Built, foldhash::fast::RandomState>> =
        RefCell::new(HashMap::default());
}

/// `P`'s requirement, built once per thread. An invalid policy is logged
/// as an error once per thread, and kept as the error.
pub(crate) fn built<P: Policy>() -> Built {
    let id = TypeId::of::<P>();
    let cached = BUILT.with(|built| built.borrow().get(&id).cloned());
    if let Some(found) = cached {
        return found;
    }
    let fresh = P::requirement().map(Arc::new);
    if let Err(e) = &fresh {
        tracing::error!(
            policy = std::any::type_name::<P>(),
            error = %e,
            "invalid policy: every request it guards is refused with 500"
        );
    }
    BUILT.with(|built| built.borrow_mut().insert(id, fresh.clone()));
    fresh
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Empty;
    impl Policy for Empty {
        fn requirement() -> Result<Requirement, BuildError> {
            Requirement::new().any_scope(Vec::<String>::new())
        }
    }

    struct Counted;
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    impl Policy for Counted {
        fn requirement() -> Result<Requirement, BuildError> {
            CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Requirement::new().any_group(["admin"])
        }
    }

    #[test]
    fn a_policy_is_built_once_per_thread() {
        for _ in 0..5 {
            assert!(built::<Counted>().is_ok());
        }
        assert_eq!(CALLS.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn an_invalid_policy_stays_an_error() {
        assert!(matches!(
            built::<Empty>(),
            Err(BuildError::InvalidList { what: "scopes", .. })
        ));
        assert!(built::<Empty>().is_err());
    }

    #[test]
    fn static_lists_follow_the_runtime_rule() {
        assert!(usable_list(&["orders/read"], true));
        assert!(!usable_list(&[], true));
        assert!(!usable_list(&[""], false));
        assert!(!usable_list(&["orders read"], true));
        assert!(usable_list(&["orders read"], false));
    }
}
