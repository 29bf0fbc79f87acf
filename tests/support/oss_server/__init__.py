"""An OSS API test server for the real alibabacloud-oss-v2 SDK; see README.md."""
from .scenario import Scenario
from .server import OssServer

__all__ = ["OssServer", "Scenario"]
