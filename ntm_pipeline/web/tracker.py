"""The tracker of issue 14: which communes of an officer's area have reported a quarter."""

import fastapi

router = fastapi.APIRouter()
