"""`GET /metrics` in the Prometheus text format, read fresh from the database at each scrape.

Outbox and prune figures come from the shared database, so every replica reports the same
totals, across restarts; feed figures are this process's own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from scheduler import clock, outbox, retention
from scheduler.db import Database
from scheduler.feeds import FeedBuilder
from scheduler.models import Delivery, DeliveryState

router = APIRouter(tags=["operations"])
LATENESS_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)


class _Collector(Collector):
    def __init__(self, db: Database, feeds: FeedBuilder) -> None:
        self.db, self.feeds = db, feeds

    def collect(self) -> Iterator[Metric]:
        now = clock.now_utc()
        with self.db.read() as session:
            counts = session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
            by_state = {state: count for state, count in counts}
            oldest = session.scalar(
                select(func.min(Delivery.due_at)).where(Delivery.state == DeliveryState.PENDING)
            )
            recent = session.execute(
                select(Delivery.sent_at, Delivery.due_at).where(
                    Delivery.state == DeliveryState.SENT,
                    Delivery.sent_at >= now - timedelta(days=1),
                )
            ).all()
            pruned = retention.record(session)
        states = GaugeMetricFamily(
            "lobby_deliveries", "Outbox deliveries by state", labels=["state"]
        )
        for state in DeliveryState:
            states.add_metric([state.value], by_state.get(state, 0))
        yield states
        age = (now - oldest).total_seconds() if oldest and oldest < now else 0.0
        yield GaugeMetricFamily(
            "lobby_oldest_due_pending_seconds",
            "How long the oldest due pending delivery has waited",
            value=age,
        )
        yield _lateness([(sent - due).total_seconds() for sent, due in recent if sent and due])
        errors = CounterMetricFamily(
            "lobby_smtp_errors", "SMTP errors seen by this process", labels=["kind"]
        )
        for kind in ("transient", "permanent"):
            errors.add_metric([kind], outbox.SMTP_ERRORS[kind])
        yield errors
        yield from _pruning(pruned)
        stats = self.feeds.stats
        for name, help_text in (
            ("feed_hits", "Feed requests served from cache"),
            ("feed_builds", "Feeds built"),
            ("event_renders", "Events rendered"),
        ):
            yield GaugeMetricFamily(
                f"lobby_{name}", help_text + " (this process)", value=stats.get(name, 0)
            )


def _pruning(pruned: retention.Record) -> Iterator[Metric]:
    last = pruned.last_complete.timestamp() if pruned.last_complete else 0.0
    yield GaugeMetricFamily(
        "lobby_prune_last_run_timestamp_seconds",
        "When the last complete prune run (of any process) finished; 0 before the first",
        value=last,
    )
    rows = CounterMetricFamily(
        "lobby_pruned_rows", "Rows deleted by the prune, by table (all processes)", labels=["table"]
    )
    for table, count in sorted(pruned.totals.items()):
        rows.add_metric([table], count)
    yield rows


def _lateness(values: list[float]) -> HistogramMetricFamily:
    buckets = [(str(bound), sum(v <= bound for v in values)) for bound in LATENESS_BUCKETS]
    buckets.append(("+Inf", len(values)))
    return HistogramMetricFamily(
        "lobby_reminder_lateness_seconds",
        "Sent-at minus due-at of reminders sent in the last 24 hours",
        buckets=buckets,
        sum_value=sum(values),
    )


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus metrics: outbox by state, oldest pending, reminder lateness, SMTP errors,
    pruning, feed caching."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(request.app.state.db, request.app.state.feeds))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
