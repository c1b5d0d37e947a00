"""What an operator sees of a running Well: structured logs and Prometheus metrics.

``context`` holds the ids of the work in hand (request, workspace, task, document) in
context variables; ``logs`` puts them on every log line as JSON; ``metrics`` counts and times
the pipeline; ``middleware`` and ``tasks`` set the context for web requests and queued tasks.
"""
