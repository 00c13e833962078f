"""OpenTelemetry tracing: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (or a test passes an
exporter). Spans: HTTP server requests, `post_journal`, `get_balance`, database transactions."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)

from doublex import config

tracer = trace.get_tracer("doublex")
_provider: TracerProvider | None = None


def configure(exporter: SpanExporter | None = None) -> bool:
    """Install a tracer provider once; True when tracing is on.

    OpenTelemetry allows one global provider per process. A later call with an exporter
    adds that exporter to the installed provider (tests use an in-memory one), so the
    order in which callers configure tracing does not matter.
    """
    global _provider
    if _provider is not None:
        if exporter is not None:
            _provider.add_span_processor(SimpleSpanProcessor(exporter))
        return True
    if exporter is None:
        if config.otlp_endpoint() is None:
            return False
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor: SimpleSpanProcessor | BatchSpanProcessor = BatchSpanProcessor(OTLPSpanExporter())
    else:
        processor = SimpleSpanProcessor(exporter)
    service = config.otel_service_name()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    _provider = provider
    return True
