"""One APIRouter per resource; `api.main.create_app` mounts them."""
