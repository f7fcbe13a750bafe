from typing import Any

from django.core.management.base import BaseCommand

from carepost.oversight.demo import DEMO_PASSWORD, DEMO_SLUG, demo_load


class Command(BaseCommand):
    help = "Create the fictional demo organisation (idempotent) and print its logins."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_load()
        self.stdout.write(self.style.SUCCESS("\nCarepost demo is ready: http://127.0.0.1:8000/"))
        self.stdout.write(f"Public news page: http://127.0.0.1:8000/news/{DEMO_SLUG}/\n")
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}\n")
        for login in logins:
            roles = ", ".join(str(r.label) if hasattr(r, "label") else str(r) for r in login.roles)
            self.stdout.write(f"  {login.username:<8} {login.name:<16} {roles}")
        self.stdout.write("")
