"""Upload settings that could never work are refused when the process starts, naming them."""

import pytest
from pydantic import ValidationError

from awardpath_submission.settings import SubmissionSettings


def test_parts_smaller_than_an_object_store_takes_are_refused():
    with pytest.raises(ValidationError, match="upload_part_bytes"):
        SubmissionSettings(upload_part_bytes=1024 * 1024)


def test_a_largest_file_of_more_parts_than_an_upload_holds_is_refused():
    with pytest.raises(ValidationError, match="AWARDPATH_MAX_FILE_BYTES over AWARDPATH_UPLOAD_PART_BYTES"):
        SubmissionSettings(upload_part_bytes=5 * 1024 * 1024, max_file_bytes=60 * 1024**3)


def test_the_defaults_fit():
    settings = SubmissionSettings()
    assert settings.max_file_bytes // settings.upload_part_bytes == 64
