"""One router per area of the API; `carepost.api.api` mounts them all."""
