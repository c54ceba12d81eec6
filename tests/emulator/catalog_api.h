// Emulated Unity Catalog 2.1: catalogs, schemas and tables, read from the DeltaEngine's
// catalog so listings always agree with the SQL that created or altered them.
#ifndef TESTS_EMULATOR_CATALOG_API_H_
#define TESTS_EMULATOR_CATALOG_API_H_

#include <cstdint>
#include <string>

#include "tests/emulator/delta_engine.h"
#include "tests/emulator/rest.h"

namespace emulator {

struct CatalogOptions {
  int64_t default_page_size = 50;  // max_results = 0
  int64_t max_page_size = 1000;    // cap for max_results > 0
  // An unpaginated ListTables (no max_results) over more tables than this fails with the
  // "result set is too large" error (UC-PGRQD); 0 disables the check.
  int64_t unpaginated_table_limit = 0;
  // Paged listings start with an empty page that carries a next_page_token.
  bool empty_first_page = false;
  std::string metastore_id = "00000000-0000-0000-0000-00000000e4a1";
};

class CatalogApi {
 public:
  CatalogApi(CatalogOptions options, const DeltaEngine* engine)
      : options_(std::move(options)), engine_(engine) {}

  // /api/2.1/unity-catalog/...; `route` follows "unity-catalog/".
  Response Handle(const Request& request, absl::string_view route);

 private:
  // Page selection for a listing of `total` items: [*begin, *end) and the next token.
  std::optional<ApiFailure> Page(const Request& request, absl::string_view tag, size_t total,
                                 size_t* begin, size_t* end, std::string* next_token) const;
  json::Value CatalogJson(const Catalog& c) const;
  json::Value SchemaJson(const Schema& s) const;
  json::Value TableJson(const Table& t, bool omit_columns, bool omit_properties) const;

  CatalogOptions options_;
  const DeltaEngine* engine_;
};

}  // namespace emulator

#endif  // TESTS_EMULATOR_CATALOG_API_H_
