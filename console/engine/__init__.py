"""The emulated fabric: compiled data plane and its Python facade."""
