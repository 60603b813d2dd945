//! The benches' metrics recorder (included by each bench with `#[path]`).

/// With the `metrics` feature, install the recorder a service exposing
/// `/metrics` installs (`metrics-exporter-prometheus`), so every
/// verification counts into it; without the feature there is nothing to
/// count. Compare the two runs' ratios (BENCHMARKS.md, session 7).
pub fn install() {
    #[cfg(feature = "metrics")]
    {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .expect("the only recorder");
        cognito_jwt::describe_metrics();
    }
}
