from __future__ import annotations

from django.db import models

from reconciliation.models.base import person_field


class WorkspacePurge(models.Model):
    """The record of a workspace's erasure (GDPR). It outlives the workspace on purpose: no
    foreign key to it, only its id and name, who purged it, when, and how much was removed."""

    workspace_id_purged = models.PositiveBigIntegerField()
    workspace_name = models.CharField(max_length=200)
    data_region = models.CharField(max_length=8)
    purged_by = person_field()
    purged_by_name = models.CharField(max_length=150, blank=True)
    purged_at = models.DateTimeField(auto_now_add=True)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-purged_at"]

    def __str__(self) -> str:
        return f"Purge of {self.workspace_name} (#{self.workspace_id_purged})"
