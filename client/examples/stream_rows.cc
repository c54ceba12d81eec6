// Streams a large result row by row with bounded memory, and lists every catalog page by
// page: the RowReader and Pager of the client library.
//
//   bazel run //client/examples:stream_rows -- "SELECT * FROM main.default.quickstart"
#include <cstdlib>
#include <iostream>

#include "client/gateway_client.h"

namespace v1 = ::databricks::gateway::v1;
namespace client = ::gateway::client;

int main(int argc, char** argv) {
  const std::string sql = argc > 1 ? argv[1] : "SELECT 'hello' AS greeting";
  client::ClientOptions options;
  if (const char* target = std::getenv("DBGW_TARGET")) options.target = target;
  if (std::getenv("DBGW_API_KEY") != nullptr) options.api_key_env = "DBGW_API_KEY";
  auto gateway = client::GatewayClient::Create(options);
  if (!gateway.ok()) {
    std::cerr << client::DescribeError(gateway.status()) << "\n";
    return 1;
  }

  client::Pager<v1::CatalogInfo> catalogs = (*gateway)->Catalogs(v1::ListCatalogsRequest());
  v1::CatalogInfo catalog;
  while (catalogs.Next(&catalog)) std::cout << "catalog " << catalog.name() << "\n";
  if (!catalogs.status().ok()) {
    std::cerr << client::DescribeError(catalogs.status()) << "\n";
    return 1;
  }

  // Waits and streams have no deadline unless one is given.
  client::CallOptions call;
  call.timeout = absl::InfiniteDuration();
  std::unique_ptr<client::RowReader> rows = (*gateway)->Query(sql, {}, call);
  if (!rows->ReadHeader()) {
    std::cerr << client::DescribeError(rows->status()) << "\n";
    return 1;
  }
  std::cout << "statement " << rows->header().statement_id() << ": "
            << rows->header().manifest().total_row_count() << " rows\n";
  v1::Row row;
  while (rows->Next(&row)) std::cout << row.ShortDebugString() << "\n";
  if (!rows->status().ok()) {
    std::cerr << client::DescribeError(rows->status()) << "\n";
    return 1;
  }
  std::cout << rows->rows_read() << " rows in " << rows->chunks_read() << " chunks\n";
  return 0;
}
