//! Which Cognito user pool and region an `iss` names.

use serde::Serialize;

/// A Cognito user pool issuer, taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Pool {
    /// `cognito-idp` or `issuer-cognito-idp`: the host's first label.
    pub(crate) form: &'static str,
    /// The AWS region, for example `us-east-1`.
    pub(crate) region: String,
    /// The user pool id, for example `us-east-1_AbCdEf123`.
    pub(crate) pool_id: String,
}

/// `https://cognito-idp.{region}.amazonaws.com/{pool}` or
/// `https://issuer-cognito-idp.{region}.amazonaws.com/{pool}`, where the pool
/// id is `{region}_{alphanumeric}`; anything else is `None`.
pub(crate) fn parse(iss: &str) -> Option<Pool> {
    let (form, rest) = if let Some(rest) = iss.strip_prefix("https://cognito-idp.") {
        ("cognito-idp", rest)
    } else {
        (
            "issuer-cognito-idp",
            iss.strip_prefix("https://issuer-cognito-idp.")?,
        )
    };
    let (region, pool_id) = rest.split_once(".amazonaws.com/")?;
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let (pool_region, id) = pool_id.split_once('_')?;
    let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric());
    (region_ok && pool_region == region && id_ok).then(|| Pool {
        form,
        region: region.to_owned(),
        pool_id: pool_id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_and_nothing_else() {
        let pool = parse("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123");
        assert_eq!(
            pool,
            Some(Pool {
                form: "cognito-idp",
                region: "eu-west-1".into(),
                pool_id: "eu-west-1_AbC123".into()
            })
        );
        let other = parse("https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123");
        assert_eq!(other.map(|p| p.form), Some("issuer-cognito-idp"));
        for bad in [
            "http://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123",
            "https://cognito-idp.eu-west-1.amazonaws.com/us-east-1_AbC123",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/",
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_",
            "https://cognito-idp..amazonaws.com/_A",
            "https://example.com/eu-west-1_AbC123",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
