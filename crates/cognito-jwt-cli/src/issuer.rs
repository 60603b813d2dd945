//! Which Cognito user pool and region an `iss` names, and which load
//! balancer an ALB data token's `signer` names.

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

/// An Application Load Balancer ARN, taken apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct LoadBalancer {
    /// `aws`, `aws-us-gov`, `aws-cn`, …
    pub(crate) partition: String,
    /// The AWS region, for example `us-east-1`.
    pub(crate) region: String,
    /// The 12-digit account id.
    pub(crate) account: String,
    /// The load balancer's name.
    pub(crate) name: String,
    /// The load balancer's id (the ARN's last part).
    pub(crate) id: String,
}

/// `arn:{partition}:elasticloadbalancing:{region}:{account}:loadbalancer/app/{name}/{id}`,
/// by the rules `cognito_jwt::AlbVerifier` pins an ARN with; anything else
/// is `None`.
pub(crate) fn parse_arn(arn: &str) -> Option<LoadBalancer> {
    let mut parts = arn.splitn(6, ':');
    let (
        Some("arn"),
        Some(partition),
        Some("elasticloadbalancing"),
        Some(region),
        Some(account),
        Some(resource),
    ) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    )
    else {
        return None;
    };
    let label = |s: &str| {
        !s.is_empty()
            && s.split('-').all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    };
    let region_ok = label(region) && region.split('-').count() >= 3;
    let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
    let (name, id) = resource
        .strip_prefix("loadbalancer/app/")?
        .split_once('/')?;
    let resource_ok = !name.is_empty() && !id.is_empty() && !id.contains('/');
    (label(partition) && region_ok && account_ok && resource_ok).then(|| LoadBalancer {
        partition: partition.to_owned(),
        region: region.to_owned(),
        account: account.to_owned(),
        name: name.to_owned(),
        id: id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_balancer_arns_and_nothing_else() {
        let lb = parse_arn(
            "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188",
        );
        assert_eq!(
            lb,
            Some(LoadBalancer {
                partition: "aws".into(),
                region: "eu-west-1".into(),
                account: "123456789012".into(),
                name: "web".into(),
                id: "50dc6c495c0c9188".into(),
            })
        );
        for bad in [
            "",
            "arn:aws:elasticloadbalancing",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/my-lb/50dc",
            "arn:aws:elasticloadbalancing:us-east-1:1234:loadbalancer/app/my-lb/50dc",
            "arn:aws:elasticloadbalancing:US-EAST-1:123456789012:loadbalancer/app/my-lb/50dc",
            "arn:aws:s3:us-east-1:123456789012:loadbalancer/app/my-lb/50dc",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-lb",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-lb/a/b",
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app//50dc",
        ] {
            assert_eq!(parse_arn(bad), None, "{bad:?}");
        }
    }

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
