# Databricks notebook source
# The entry point of the Databricks Gateway's SubmitStreamingRun (docs/api.md).
#
# Import this file into the workspace at the path configured as the workspace's
# `streaming_notebook_path` (default /Shared/databricks-gateway/streaming_entry). The
# gateway submits it as a one-time run with these notebook parameters, each built from the
# caller's structured request (proto/databricks/gateway/v1/jobs.proto, SubmitStreamingRun):
#   source_kind          "delta", "kafka" or "files"
#   source               StreamSource as JSON
#   sink                 StreamSink as JSON
#   trigger              StreamTrigger as JSON ({} for the default)
#   checkpoint_location  where the stream keeps its progress
# Credentials in options arrive as {{secrets/<scope>/<key>}} references (the gateway refuses
# literals) and are resolved here with dbutils.secrets.

import json
import re

SECRET_REFERENCE = re.compile(r"^\{\{secrets/([^/}]+)/([^/}]+)\}\}$")


def resolve(options):
    """Replaces {{secrets/scope/key}} references with the secret's value."""
    resolved = {}
    for key, value in (options or {}).items():
        match = SECRET_REFERENCE.match(value)
        resolved[key] = dbutils.secrets.get(match.group(1), match.group(2)) if match else value
    return resolved


def table_name(table):
    """A three-part name, each part back-quoted."""
    parts = [table.get("catalog", ""), table.get("schema", ""), table["table"]]
    return ".".join("`" + part.replace("`", "``") + "`" for part in parts if part)


source_kind = dbutils.widgets.get("source_kind")
source = json.loads(dbutils.widgets.get("source"))
sink = json.loads(dbutils.widgets.get("sink"))
trigger = json.loads(dbutils.widgets.get("trigger") or "{}")
checkpoint = dbutils.widgets.get("checkpoint_location")

if source_kind == "delta":
    stream = spark.readStream.table(table_name(source["delta_table"]))
elif source_kind == "kafka":
    kafka = source["kafka"]
    reader = (spark.readStream.format("kafka")
              .option("kafka.bootstrap.servers", kafka["bootstrap_servers"])
              .option("subscribe", ",".join(kafka["topics"]))
              .option("startingOffsets", kafka.get("starting_offsets", "latest")))
    for key, value in resolve(kafka.get("options")).items():
        reader = reader.option(key, value)
    stream = reader.load()
elif source_kind == "files":
    files = source["files"]
    reader = spark.readStream.format("cloudFiles").option("cloudFiles.format", files["format"])
    for key, value in resolve(files.get("options")).items():
        reader = reader.option(key, value)
    stream = reader.load(files["path"])
else:
    raise ValueError("unknown source_kind: " + source_kind)

writer = (stream.writeStream
          .outputMode(sink.get("output_mode", "APPEND").lower())
          .option("checkpointLocation", checkpoint))
if sink.get("merge_schema"):
    writer = writer.option("mergeSchema", "true")
if "processing_time" in trigger:
    writer = writer.trigger(processingTime=trigger["processing_time"])
elif trigger.get("available_now"):
    writer = writer.trigger(availableNow=True)
elif "continuous" in trigger:
    writer = writer.trigger(continuous=trigger["continuous"])

writer.toTable(table_name(sink["delta_table"])).awaitTermination()
