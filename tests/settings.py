"""Test settings: the real settings with fast, isolated replacements."""

import os
import tempfile

os.environ.setdefault("KAMTIBMAS_VAR_DIR", tempfile.mkdtemp(prefix="kamtibmas-test-"))

from kamtibmas.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = os.path.join(os.environ["KAMTIBMAS_VAR_DIR"], "media")  # noqa: F405
os.makedirs(STATIC_ROOT, exist_ok=True)  # noqa: F405
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
