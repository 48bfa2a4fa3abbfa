"""Pure rules of phonghop. Nothing here imports sqlalchemy, starlette or redis."""
