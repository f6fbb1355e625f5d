//! SVG plots of cost against N for each approach (`bench/plots/*.svg`).

use std::path::Path;

use plotters::prelude::*;
use serde_json::Value;

use crate::median;
use crate::report::estimate;

type Series = (String, Vec<(f64, f64)>);

const COLORS: [RGBColor; 5] = [BLUE, RED, GREEN, MAGENTA, BLACK];

/// Writes every plot into `dir`.
pub(crate) fn all(results: &Value, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let rows = |key: &str| results[key].as_array().cloned().unwrap_or_default();

    let mut selection: Vec<Series> = Vec::new();
    for backend in ["linkme", "inventory"] {
        for (group, function, label) in [
            ("single-slot", "explain", "one slot, explain"),
            ("spread", "explain-slots", "N/10 slots, explain each"),
        ] {
            let points: Vec<(f64, f64)> = [10u64, 100, 1000, 10_000]
                .into_iter()
                .filter_map(|n| {
                    Some((
                        n as f64,
                        estimate(results, &format!("{group}/{backend}"), function, Some(n))? / 1e3,
                    ))
                })
                .collect();
            if !points.is_empty() {
                selection.push((format!("{backend}: {label}"), points));
            }
        }
    }
    chart(
        &dir.join("selection.svg"),
        "Selection, in-process (µs)",
        "N registered versions",
        &selection,
        true,
    )?;

    let mut process: Vec<Series> = Vec::new();
    for backend in ["hello", "linkme", "inventory"] {
        let points: Vec<(f64, f64)> = rows("process")
            .iter()
            .filter(|r| r["backend"] == backend)
            .map(|r| {
                (
                    r["n"].as_f64().unwrap_or(0.0).max(1.0),
                    median(&r["process"]) / 1e6,
                )
            })
            .collect();
        if backend == "hello" {
            if let Some(&(_, y)) = points.first() {
                process.push((
                    "hello world (floor)".to_owned(),
                    vec![(1.0, y), (10_000.0, y)],
                ));
            }
        } else if !points.is_empty() {
            process.push((format!("{backend} host"), points));
        }
    }
    let dl: Vec<(f64, f64)> = rows("dlopen")
        .iter()
        .map(|r| {
            (
                r["n"].as_f64().unwrap_or(1.0),
                median(&r["dlopen_process"]) / 1e6,
            )
        })
        .collect();
    if !dl.is_empty() {
        process.push(("dlopen host + N .so".to_owned(), dl));
    }
    chart(
        &dir.join("process.svg"),
        "Process start to decision (ms, median; N = 0 drawn at 1)",
        "N registered versions",
        &process,
        true,
    )?;

    let mut size: Vec<Series> = Vec::new();
    for backend in ["linkme", "inventory"] {
        let points: Vec<(f64, f64)> = rows("sizes")
            .iter()
            .filter(|r| r["backend"] == backend)
            .map(|r| {
                (
                    r["n"].as_f64().unwrap_or(0.0),
                    r["bytes_stripped"].as_f64().unwrap_or(0.0) / 1e6,
                )
            })
            .collect();
        if !points.is_empty() {
            size.push((format!("{backend} (stripped)"), points));
        }
    }
    let dl_size: Vec<(f64, f64)> = rows("dlopen")
        .iter()
        .map(|r| {
            let bytes = r["dlopen_host_bytes"].as_f64().unwrap_or(0.0)
                + r["so_bytes"].as_f64().unwrap_or(0.0);
            (r["n"].as_f64().unwrap_or(0.0), bytes / 1e6)
        })
        .collect();
    if !dl_size.is_empty() {
        size.push(("dlopen: host + N .so (stripped)".to_owned(), dl_size));
    }
    chart(
        &dir.join("size.svg"),
        "Bytes on disk (MB)",
        "N registered versions",
        &size,
        false,
    )?;
    Ok(())
}

fn chart(
    path: &Path,
    title: &str,
    x_label: &str,
    series: &[Series],
    log: bool,
) -> anyhow::Result<()> {
    let points = || series.iter().flat_map(|(_, p)| p.iter().copied());
    if points().next().is_none() {
        return Ok(());
    }
    let (x_max, y_max) = points().fold((1.0f64, 0.0f64), |(a, b), (x, y)| (a.max(x), b.max(y)));
    let y_min = points()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .max(1e-3);
    let root = SVGBackend::new(path, (640, 400)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(title, ("sans-serif", 18))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(55);
    // The two coordinate systems have different types; the drawing is the same.
    macro_rules! draw {
        ($chart:expr) => {{
            let mut chart = $chart.map_err(|e| anyhow::anyhow!("{e}"))?;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .draw()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            for (i, (name, points)) in series.iter().enumerate() {
                let color = COLORS[i % COLORS.len()];
                chart
                    .draw_series(LineSeries::new(
                        points.iter().copied(),
                        color.stroke_width(2),
                    ))
                    .map_err(|e| anyhow::anyhow!("{e}"))?
                    .label(name)
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                    });
                chart
                    .draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }};
    }
    if log {
        draw!(builder.build_cartesian_2d(
            (1.0..x_max * 1.5).log_scale(),
            (y_min / 2.0..y_max * 2.0).log_scale(),
        ));
    } else {
        draw!(builder.build_cartesian_2d(0.0..x_max * 1.05, 0.0..y_max * 1.1));
    }
    root.present().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    #[test]
    fn plots_the_committed_full_run() {
        let results: Value = serde_json::from_str(include_str!("../results/full.json")).unwrap();
        let dir = std::env::temp_dir().join(format!("muster-plot-test-{}", std::process::id()));
        crate::plot::all(&results, &dir).unwrap();
        for name in ["selection.svg", "process.svg", "size.svg"] {
            let svg = std::fs::read_to_string(dir.join(name)).unwrap();
            assert!(
                svg.starts_with("<svg") && svg.contains("<polyline"),
                "{name}"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
