// SPDX-License-Identifier: MIT
// embzip: thin command-line front end over the encoder library.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>

#include "embzip/coded_store.hpp"
#include "embzip/errors.hpp"
#include "embzip/file_util.hpp"
#include "embzip/layout.hpp"
#include "embzip/report.hpp"
#include "embzip/table_io.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace embzip;

namespace {

const char* kUsage =
    "usage: embzip <command> [options]\n"
    "commands:\n"
    "  report   compare coding methods on one or more tables (the paper's table)\n"
    "  encode   code a table into DIR/table.ezt and DIR/code.json\n"
    "  decode   decode DIR/table.ezt back into a .npy table\n"
    "  verify   check that DIR decodes bit-exact to the original table\n"
    "  row      random access: decode one row\n"
    "run 'embzip <command> --help' for the options of a command, 'embzip --version' for the "
    "version\n";

// Progress on stderr for long runs: at most one line a second, none for runs under a second.
ProgressFn stderr_progress(bool quiet) {
    if (quiet) return nullptr;
    auto start = std::chrono::steady_clock::now();
    auto last = std::make_shared<std::chrono::steady_clock::time_point>(start);
    return [start, last](const char* stage, double fraction) {
        const auto now = std::chrono::steady_clock::now();
        if (now - start < std::chrono::seconds(1) || now - *last < std::chrono::seconds(1)) return;
        *last = now;
        std::fprintf(stderr, "embzip: %s %3.0f%%\n", stage, 100.0 * fraction);
    };
}

void add_input_options(po::options_description& d) {
    d.add_options()(
        "input,i", po::value<std::vector<std::string>>()->required(),
        "table: .npy (int8/uint8, or float32/float16 with --quantize), the seed tool's .bin, "
        "or raw bytes with --rows/--dim")(
        "quantize", po::value<std::string>()->default_value("none"),
        "float tables: symmetric | rowwise (to int8/uint8) | lossless (exact floats)")(
        "tensor", po::value<std::string>()->default_value(""), ".safetensors: the tensor to read")(
        "dtype", po::value<std::string>()->default_value(""),
        "bf16: read a uint16 .npy as bf16 bit patterns")(
        "rows", po::value<uint64_t>(), "raw input: number of rows")("dim", po::value<uint32_t>(),
                                                                    "raw input: bytes per row");
}

void add_threads_option(po::options_description& d) {
    d.add_options()("threads,j", po::value<unsigned>()->default_value(0),
                    "threads (0 = every core); the output does not depend on it");
}

unsigned threads_option(const po::variables_map& vm) {
    const unsigned threads = vm["threads"].as<unsigned>();
    if (threads > MethodOptions::kMaxThreads)
        throw InputError("--threads must be 0 (every core) .. " +
                         std::to_string(MethodOptions::kMaxThreads) + ", got " +
                         std::to_string(threads));
    return threads;
}

void add_method_options(po::options_description& d) {
    d.add_options()("seed", po::value<uint64_t>()->default_value(1), "sa8: random seed")(
        "time-limit", po::value<double>()->default_value(0.0), "sa8: seconds (0 = no limit)")(
        "iterations", po::value<uint64_t>()->default_value(0),
        "sa8: annealing iterations (0 = default)")(
        "start", po::value<std::string>()->default_value("balanced"),
        "sa8: start tree, balanced | huffman")(
        "max-code-len", po::value<unsigned>()->default_value(CodeGeometry::kMaxCodeLen),
        "longest code the decoder supports (lookup-table size), 1..32")(
        "quiet,q", po::bool_switch(), "no progress on stderr")(
        "mwu-iterations", po::value<unsigned>()->default_value(300),
        "minimax: multiplicative-weights rounds (0: no bound, local search from Huffman)")(
        "eta", po::value<double>()->default_value(0.05), "minimax: weight step size, (0, 10]")(
        "books", po::value<unsigned>()->default_value(1),
        "minimax: code books, 1..16 (selector bits per row)")(
        "overflow", po::value<double>()->default_value(0.0),
        "largest fraction of rows stored raw in an overflow region (0 = none)");
    add_threads_option(d);
}

LoadOptions load_options(const po::variables_map& vm, const std::string& path) {
    LoadOptions o;
    o.path = path;
    o.quantize = parse_quantize_mode(vm["quantize"].as<std::string>());
    o.tensor = vm["tensor"].as<std::string>();
    o.dtype = vm["dtype"].as<std::string>();
    if (vm.count("rows")) o.raw_rows = vm["rows"].as<uint64_t>();
    if (vm.count("dim")) o.raw_dim = vm["dim"].as<uint32_t>();
    return o;
}

MethodOptions method_options(const po::variables_map& vm) {
    MethodOptions o;
    o.seed = vm["seed"].as<uint64_t>();
    o.time_limit_s = vm["time-limit"].as<double>();
    if (o.time_limit_s < 0) throw InputError("--time-limit must be >= 0");
    o.iterations = vm["iterations"].as<uint64_t>();
    const std::string start = vm["start"].as<std::string>();
    if (start == "balanced")
        o.start = SaStart::Balanced;
    else if (start == "huffman")
        o.start = SaStart::Huffman;
    else
        throw InputError("--start: expected balanced or huffman, got '" + start + "'");
    o.max_code_len = vm["max-code-len"].as<unsigned>();
    if (o.max_code_len < 1 || o.max_code_len > CodeGeometry::kMaxCodeLen)
        throw InputError("--max-code-len must be 1.." + std::to_string(CodeGeometry::kMaxCodeLen) +
                         ", got " + std::to_string(o.max_code_len));
    o.mwu_iterations = vm["mwu-iterations"].as<unsigned>();
    o.eta = vm["eta"].as<double>();
    o.books = vm["books"].as<unsigned>();
    if (o.books < 1 || o.books > CodeGeometry::kMaxBooks)
        throw InputError("--books must be 1.." + std::to_string(CodeGeometry::kMaxBooks) +
                         ", got " + std::to_string(o.books));
    o.overflow = vm["overflow"].as<double>();
    if (!(o.overflow >= 0.0 && o.overflow < 1.0))
        throw InputError("--overflow must be a fraction in [0, 1)");
    if (!(o.eta > 0 && o.eta <= MethodOptions::kMaxEta))
        throw InputError("--eta must be in (0, " + std::to_string(int(MethodOptions::kMaxEta)) +
                         "]");
    o.threads = threads_option(vm);
    o.progress = stderr_progress(vm["quiet"].as<bool>());
    return o;
}

// Parses a subcommand's options; returns false after printing help.
bool parse(int argc, char** argv, po::options_description& d, po::variables_map& vm,
           const char* usage, const std::string& epilogue = {}) {
    d.add_options()("help,h", "show this help");
    po::store(po::command_line_parser(argc, argv).options(d).run(), vm);
    if (vm.count("help")) {
        std::cout << usage << "\n" << d << (epilogue.empty() ? "" : "\n" + epilogue);
        return false;
    }
    po::notify(vm);
    return true;
}

int cmd_report(int argc, char** argv) {
    po::options_description d("report options");
    add_input_options(d);
    add_method_options(d);
    d.add_options()("methods,m", po::value<std::string>()->default_value("all"),
                    "comma-separated method names (below), or all")(
        "format,f", po::value<std::string>()->default_value("table"), "table | json | csv")(
        "out,o", po::value<std::string>(), "write the report to this file instead of stdout")(
        "json-out", po::value<std::string>(),
        "also write the JSON form of the report to this file");
    po::variables_map vm;
    if (!parse(argc, argv, d, vm, "usage: embzip report --input T [--input T2 ...] [options]",
               "methods:\n" + method_help(false)))
        return 0;
    const std::vector<Method> methods = parse_method_list(vm["methods"].as<std::string>());
    const ReportFormat format = parse_report_format(vm["format"].as<std::string>());
    const MethodOptions options = method_options(vm);
    if (vm.count("out")) check_output_file("--out", vm["out"].as<std::string>());
    if (vm.count("json-out")) check_output_file("--json-out", vm["json-out"].as<std::string>());
    std::vector<ReportEntry> entries;
    for (const std::string& path : vm["input"].as<std::vector<std::string>>()) {
        const Input input = load_input(load_options(vm, path));
        for (ReportEntry& e : run_report(path, input, methods, options))
            entries.push_back(std::move(e));
    }
    const std::string text = format_report(entries, format);
    if (vm.count("json-out"))
        write_file_atomic(vm["json-out"].as<std::string>(),
                          format_report(entries, ReportFormat::Json));
    if (vm.count("out"))
        write_file_atomic(vm["out"].as<std::string>(), text);
    else
        std::cout << text;
    return 0;
}

int cmd_encode(int argc, char** argv) {
    po::options_description d("encode options");
    add_input_options(d);
    add_method_options(d);
    d.add_options()("method,m", po::value<std::string>()->default_value("best"),
                    "a method (below), or best: all of them, keep the narrowest")(
        "out,o", po::value<std::string>()->required(), "output directory (created if missing)")(
        "align", po::value<unsigned>()->default_value(8),
        "row pitch granularity in bits (1 = packed)");
    po::variables_map vm;
    if (!parse(argc, argv, d, vm, "usage: embzip encode --input T --method M --out DIR",
               "methods:\n" + method_help(true)))
        return 0;
    const auto inputs = vm["input"].as<std::vector<std::string>>();
    if (inputs.size() != 1) throw InputError("encode takes exactly one --input");
    // Every option and the output location first: nothing below may fail on them after the work.
    const MethodOptions options = method_options(vm);
    const std::string method = vm["method"].as<std::string>();
    if (method != "best" && is_reference(parse_method(method)))
        throw InputError(method + " is a reference, not an encoding; use it with 'embzip report'");
    const unsigned align = vm["align"].as<unsigned>();
    if (align < 1 || align > kMaxAlignBits)
        throw InputError("--align must be between 1 and " + std::to_string(kMaxAlignBits) +
                         " bits, got " + std::to_string(align));
    const std::string dir = vm["out"].as<std::string>();
    check_output_dir("--out", dir);
    const Input input = load_input(load_options(vm, inputs[0]));
    // Float tables: the code is for the exponent plane, split once.
    const FloatPlanes planes = input.is_float ? split_planes(input.floats) : FloatPlanes{};
    const Table& table = input.is_float ? planes.exponents : input.table;
    CodeResult result;
    if (method == "best") {
        const auto entries = run_report(inputs[0], table, encodable_methods(), options);
        result = best_encodable(entries)->result;
    } else {
        result = run_method(parse_method(method), table, options);
    }
    const CodedTable coded = input.is_float ? encode_float_planes(planes, input.floats.kind, result,
                                                                  align, options.threads)
                                            : encode_table(table, result, align, options.threads);
    const uint64_t original = coded.original_bytes();
    const uint64_t row_bits = coded.stored_row_bits();
    CodedStore::write(dir, coded);
    std::printf(
        "%s: %s, W = %llu bits (saving %.2f%%), pitch %u bits, %llu stored bytes (%.2f%% of "
        "%llu)%s%s\n",
        dir.c_str(), coded.method.c_str(), (unsigned long long)row_bits,
        100.0 * (1.0 - double(row_bits) / (8.0 * coded.dim * coded.value_bytes())),
        coded.pitch_bits, (unsigned long long)coded.stored_bytes(),
        100.0 * double(coded.stored_bytes()) / double(original), (unsigned long long)original,
        coded.spec.bits == 4 ? (std::string(", split ") + split_name(coded.spec.split)).c_str()
                             : "",
        coded.overflow ? (", " + std::to_string(coded.overflow_rows) + " overflow rows").c_str()
                       : "");
    return 0;
}

int cmd_decode(int argc, char** argv) {
    po::options_description d("decode options");
    d.add_options()("in", po::value<std::string>()->required(), "coded table directory")(
        "out,o", po::value<std::string>()->required(), "output .npy");
    add_threads_option(d);
    po::variables_map vm;
    if (!parse(argc, argv, d, vm, "usage: embzip decode --in DIR --out T.npy")) return 0;
    const unsigned threads = threads_option(vm);
    check_output_file("--out", vm["out"].as<std::string>());
    const CodedTable coded =
        CodedStore::decode_to_npy(vm["in"].as<std::string>(), vm["out"].as<std::string>(), threads);
    std::printf("decoded %llu rows x %llu bytes to %s\n", (unsigned long long)coded.rows,
                (unsigned long long)coded.dim * coded.value_bytes(),
                vm["out"].as<std::string>().c_str());
    return 0;
}

int cmd_verify(int argc, char** argv) {
    po::options_description d("verify options");
    add_input_options(d);
    d.add_options()("in", po::value<std::string>()->required(), "coded table directory");
    po::variables_map vm;
    if (!parse(argc, argv, d, vm, "usage: embzip verify --in DIR --input T")) return 0;
    const auto inputs = vm["input"].as<std::vector<std::string>>();
    if (inputs.size() != 1) throw InputError("verify takes exactly one --input");
    const Input input = load_input(load_options(vm, inputs[0]));
    const auto store = CodedStore::open(vm["in"].as<std::string>());
    const CodedTable& coded = store->table();
    const uint64_t rows = input.is_float ? input.floats.rows : input.table.rows;
    const uint32_t dim = input.is_float ? input.floats.dim : input.table.dim;
    if (coded.rows != rows || coded.dim != dim || coded.is_float() != input.is_float ||
        (input.is_float && coded.floats->kind != input.floats.kind))
        throw InputError(
            "coded table is " + std::to_string(coded.rows) + " x " + std::to_string(coded.dim) +
            (coded.is_float() ? std::string(" ") + coded.element_name() : "") + ", input is " +
            std::to_string(rows) + " x " + std::to_string(dim) +
            (input.is_float ? std::string(" ") + float_kind_name(input.floats.kind) : ""));
    const std::vector<uint8_t>& want = input.is_float ? input.floats.bytes : input.table.bytes;
    const size_t row_bytes = size_t(dim) * coded.value_bytes();
    // Block by block against the input, in row order: no decoded copy of the whole table, and
    // the first row that differs stops the decoding.
    struct Differs {
        uint64_t row;
    };
    try {
        decode_blocks(coded, 0, [&](const uint8_t* bytes, uint64_t first, uint64_t n) {
            for (uint64_t k = 0; k < n; ++k)
                if (std::memcmp(bytes + k * row_bytes, want.data() + (first + k) * row_bytes,
                                row_bytes) != 0)
                    throw Differs{first + k};
        });
    } catch (const Differs& d) {
        std::fprintf(stderr, "embzip: verify FAILED: row %llu differs\n",
                     (unsigned long long)d.row);
        return 1;
    }
    std::printf("verify OK: %llu rows x %zu bytes bit-exact\n", (unsigned long long)rows,
                row_bytes);
    return 0;
}

// Digits only: program_options would read "-1" as 2^64 - 1 and report it out of range.
uint64_t parse_row_index(const std::string& text) {
    if (!text.empty() && text[0] == '-')
        throw InputError("--index must be a non-negative row number, got " + text);
    uint64_t v = 0;
    for (char ch : text) {
        if (ch < '0' || ch > '9' || v > (UINT64_MAX - 9) / 10)
            throw InputError("--index: expected a row number, got '" + text + "'");
        v = v * 10 + uint64_t(ch - '0');
    }
    if (text.empty()) throw InputError("--index: expected a row number, got ''");
    return v;
}

int cmd_row(int argc, char** argv) {
    po::options_description d("row options");
    d.add_options()("in", po::value<std::string>()->required(), "coded table directory")(
        "index", po::value<std::string>()->required(), "row index (0-based)");
    po::variables_map vm;
    if (!parse(argc, argv, d, vm, "usage: embzip row --in DIR --index i")) return 0;
    const auto store = CodedStore::open(vm["in"].as<std::string>());
    const CodedTable& coded = store->table();
    const uint64_t index = parse_row_index(vm["index"].as<std::string>());
    if (index >= coded.rows)
        throw InputError("--index " + std::to_string(index) + " is out of range (table has " +
                         std::to_string(coded.rows) + " rows)");
    std::vector<uint8_t> row(size_t(coded.dim) * coded.value_bytes());
    const Status s = store->decoder().decode_values(index, row.data());
    if (s != Status::Ok)
        throw FormatError("row " + std::to_string(index) + ": " + status_message(s));
    for (uint32_t c = 0; c < coded.dim; ++c) {
        if (!coded.is_float()) {
            std::printf("%s%d", c ? " " : "",
                        coded.dtype == Dtype::Int8 ? int(int8_t(row[c])) : int(row[c]));
            continue;
        }
        std::printf("%s%.9g", c ? " " : "",
                    float_value(row.data() + c * coded.value_bytes(), coded.floats->kind));
    }
    std::printf("\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::string(argv[1]) == "--version") {
        std::printf("embzip %s\n", EMBZIP_VERSION);
        return 0;
    }
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const std::string cmd = argv[1];
    const std::map<std::string, int (*)(int, char**)> commands = {{"report", cmd_report},
                                                                  {"encode", cmd_encode},
                                                                  {"decode", cmd_decode},
                                                                  {"verify", cmd_verify},
                                                                  {"row", cmd_row}};
    const auto it = commands.find(cmd);
    if (it == commands.end()) {
        std::fprintf(stderr, "embzip: unknown command '%s'\n%s", cmd.c_str(), kUsage);
        return 2;
    }
    install_cleanup_handlers();  // temporaries go away on Ctrl-C, kill, or a file-size limit
    try {
        return it->second(argc - 1, argv + 1);
    } catch (const po::error& e) {
        std::fprintf(stderr, "embzip %s: %s\n", cmd.c_str(), e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "embzip %s: %s\n", cmd.c_str(), e.what());
        return 1;
    }
}
