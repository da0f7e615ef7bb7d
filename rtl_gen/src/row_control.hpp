// SPDX-License-Identifier: MIT
// The row-control state machine (LOAD → PRIME → DECODE → DRAIN), shared by the baked and the
// programmable designs: they differ only in where the row geometry comes from (constants or
// configuration registers) and in the decode step's signals, so those are the parameters.
#pragma once
#include <sstream>
#include <string>

#include "verilog_text.hpp"

namespace embzip::rtl {

struct RowControlText {
    unsigned words_bits = 1;   // width of the `words` counter
    std::string last_word;     // index of the row's last input word (a literal or a register)
    std::string first_pos;     // `pos` after PRIME: the first code bit (after the header)
    std::string symbols;       // `remaining` after PRIME: symbols in the row
    bool has_book = false;     // a `book` register takes the row's selector
    std::string bad_selector;  // PRIME's error: the selector names no book
    bool overflow = false;     // a flagged row skips DECODE (its index is the one output beat)
    std::string fire;          // a decode step is taken
    std::string step_error;    // the step's own error (bad code, overrun)
    std::string step_symbols;  // symbols the step consumed, at the width of `remaining`
    // Overlap: words go to a load buffer (its own block, with `words`); the decode side leaves
    // ST_LOAD / ST_DRAIN for ST_PRIME when `start` (a whole row is there and the side is free).
    bool overlap = false;
};

// "    // Row control.\n    always @(posedge clk) ... end\n".
inline std::string row_control(const RowControlText& r) {
    using vtext::lit;
    std::ostringstream o;
    o << "    // Row control.\n"
      << "    always @(posedge clk) begin\n"
      << "        if (!rst_n) begin\n"
      << "            state <= ST_LOAD;\n";
    if (!r.overlap) o << "            words <= " << lit(r.words_bits, 0) << ";\n";
    o << "        end else begin\n"
      << "            case (state)\n";
    if (r.overlap)
        o << "            ST_LOAD: if (start) state <= ST_PRIME;\n";
    else
        o << "            ST_LOAD: if (in_valid) begin\n"
          << "                words <= words == " << r.last_word << " ? " << lit(r.words_bits, 0)
          << " : words + " << lit(r.words_bits, 1) << ";\n"
          << "                if (words == " << r.last_word << ") state <= ST_PRIME;\n"
          << "            end\n";
    o << "            ST_PRIME: begin\n"
      << "                pos       <= " << r.first_pos << ";\n"
      << "                remaining <= " << r.symbols << ";\n";
    if (r.has_book) o << "                book      <= selector;\n";
    o << "                err       <= " << r.bad_selector << ";\n";
    if (r.overflow)
        o << "                // An overflowed row: the index beat, no decode step.\n"
          << "                state     <= flag ? ST_DRAIN : ST_DECODE;\n";
    else
        o << "                state     <= ST_DECODE;\n";
    o << "            end\n"
      << "            ST_DECODE: if (" << r.fire << ") begin\n"
      << "                err       <= err || " << r.step_error << ";\n"
      << "                remaining <= remaining - " << r.step_symbols << ";\n"
      << "                pos       <= pos_next;\n"
      << "                if (last) state <= ST_DRAIN;\n"
      << "            end\n"
      << (r.overlap ? "            default: if (out_ready) state <= start ? ST_PRIME : ST_LOAD;"
                      "  // ST_DRAIN\n"
                    : "            default: if (out_ready) state <= ST_LOAD;  // ST_DRAIN\n")
      << "            endcase\n"
      << "        end\n    end\n";
    if (r.overlap)
        o << "\n    // Load side: words into the load buffer; it is full from the row's last word "
             "until\n    // the decode side takes it (start).\n"
          << "    always @(posedge clk) begin\n"
          << "        if (!rst_n) begin\n"
          << "            words <= " << lit(r.words_bits, 0) << ";\n"
          << "            lfull <= 1'b0;\n"
          << "        end else begin\n"
          << "            if (in_fire) words <= in_last ? " << lit(r.words_bits, 0) << " : words + "
          << lit(r.words_bits, 1) << ";\n"
          << "            lfull <= !start && (lfull || in_last);\n"
          << "        end\n    end\n";
    return o.str();
}

// Overlap's handshake, the wires row_control() reads: the load buffer takes a word while it is
// not full; `start` hands the decode side a whole row (the buffer's, or one whose last word is on
// the bus this cycle) when that side is free. `last_word`: as RowControlText::last_word.
inline std::string overlap_handshake(const std::string& last_word) {
    return "    reg        lfull;      // the load buffer holds a whole row\n"
           "    assign in_ready = !lfull;\n"
           "    wire in_fire = in_valid && !lfull;\n"
           "    wire in_last = in_fire && words == " +
           last_word +
           ";\n"
           "    wire row_ready = lfull || in_last;  // a whole row for the decode side\n"
           "    wire start = row_ready && (state == ST_LOAD || (state == ST_DRAIN && "
           "out_ready));\n";
}

}  // namespace embzip::rtl
