// `dbgw catalog …`: one command per CatalogService method.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/cli/command.h"

namespace gateway::cli {
namespace {

int Catalogs(Context& context) {
  client::Pager<v1::CatalogInfo> catalogs =
      context.client.Catalogs(v1::ListCatalogsRequest(), context.call);
  return PrintItems(
      context, catalogs,
      {{"name", "name"}, {"type", "catalog_type"}, {"owner", "owner"}, {"comment", "comment"}});
}

int Schemas(Context& context) {
  v1::ListSchemasRequest request;
  request.set_catalog_name(context.args.positional()[0]);
  client::Pager<v1::SchemaInfo> schemas = context.client.Schemas(request, context.call);
  return PrintItems(context, schemas,
                    {{"full_name", "full_name"}, {"owner", "owner"}, {"comment", "comment"}});
}

int Tables(Context& context) {
  const std::vector<std::string> parts = absl::StrSplit(context.args.positional()[0], '.');
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
    return context.Usage(
        absl::StrCat("\"", context.args.positional()[0], "\" is not CATALOG.SCHEMA"));
  }
  v1::ListTablesRequest request;
  request.set_catalog_name(parts[0]);
  request.set_schema_name(parts[1]);
  request.set_omit_columns(true);
  client::Pager<v1::TableInfo> tables = context.client.Tables(request, context.call);
  return PrintItems(context, tables,
                    {{"full_name", "full_name"},
                     {"type", "table_type"},
                     {"format", "data_source_format"},
                     {"owner", "owner"}});
}

int Table(Context& context) {
  absl::StatusOr<v1::TableName> name = TableArgument(context.args.positional()[0]);
  if (!name.ok()) return context.Usage(std::string(name.status().message()));
  v1::GetTableRequest request;
  *request.mutable_table() = *name;
  absl::StatusOr<v1::GetTableResponse> response = context.client.GetTable(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  if (context.args.Has("columns")) {
    context.printer.BeginList({{"name", "name"},
                               {"type", "type_text"},
                               {"nullable", "nullable"},
                               {"comment", "comment"}});
    for (const v1::ColumnInfo& column : response->table().columns()) context.printer.Item(column);
    context.printer.End();
    return kExitOk;
  }
  context.printer.Message(response->table());
  return kExitOk;
}

}  // namespace

std::vector<Command> CatalogCommands() {
  return {
      {{"catalog catalogs", "List the catalogs (ListCatalogs).", "", 0, 0, {}}, Catalogs},
      {{"catalog schemas", "List a catalog's schemas (ListSchemas).", "CATALOG", 1, 1, {}},
       Schemas},
      {{"catalog tables", "List a schema's tables (ListTables).", "CATALOG.SCHEMA", 1, 1, {}},
       Tables},
      {{"catalog table",
        "Show a table (GetTable).",
        "CATALOG.SCHEMA.TABLE",
        1,
        1,
        {{"columns", "", "list its columns instead"}}},
       Table},
  };
}

}  // namespace gateway::cli
