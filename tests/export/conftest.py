import sys
from pathlib import Path

# the helpers module sits next to the tests (test folders have no __init__.py)
sys.path.insert(0, str(Path(__file__).parent))
