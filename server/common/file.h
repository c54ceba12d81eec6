// Reading a small file whole (configuration, secrets, certificates).
#ifndef SERVER_COMMON_FILE_H_
#define SERVER_COMMON_FILE_H_

#include <optional>
#include <string>

namespace gateway {

// The bytes of the file at `path`; nullopt when it cannot be opened.
std::optional<std::string> ReadWholeFile(const std::string& path);

}  // namespace gateway

#endif  // SERVER_COMMON_FILE_H_
