from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class WorkerLease(models.Model):
    """A periodic job's turn, shared by every worker process (database task backend).

    A worker runs the job only if it moves `expires_at` on with a conditional UPDATE
    (see common/leases.py); with the RQ backend the same lease is a Redis key.
    """

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()
    runs = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} (held by {self.holder or 'nobody'} until {self.expires_at})"
